"""What every service call needs: the database, the clock and the deployment's policy."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from bot.core.clock import Clock
from bot.services.calendar.schedule import Schedule, default_schedule
from bot.services.calendar.worktime import WorkCalendar
from bot.services.understanding.reports import Category
from models.db import transaction

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Policy:
    """Deployment choices that change behaviour, from settings."""

    tz: ZoneInfo
    categories: tuple[Category, ...]
    # Reminders, quiet hours, working time, briefings, patrols, meetings, alerts.
    schedule: Schedule = field(default_factory=lambda: default_schedule(ZoneInfo("Asia/Shanghai")))
    escalation_interval: timedelta = timedelta(hours=24)
    briefing_time: time = time(8, 30)
    evidence_window: timedelta = timedelta(minutes=10)
    data_dir: Path = Path("var")
    # 延期: how many approved extensions a ticket may have.
    max_extensions: int = 1
    # 督办: escalation steps of a supervised ticket come this much more often (0.5: twice).
    supervision_factor: float = 0.5
    # 重复上报: a report like a live ticket opened within this window joins it.
    duplicate_window: timedelta = timedelta(hours=24)
    # 考核: the scorecard of the weekly and monthly reports (checked at start-up).
    scorecard_file: Path = Path(__file__).parents[2] / "config" / "scorecard.toml"

    @property
    def calendar(self) -> WorkCalendar:
        return self.schedule.calendar

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.tz)

    def format_time(self, at: datetime) -> str:
        """Local time as users read it: 11月24日 18:00."""
        local = self.local(at)
        return f"{local.month}月{local.day}日 {local:%H:%M}"


@dataclass(frozen=True)
class Runtime:
    """The composition root builds one of these; handlers and jobs receive it."""

    engine: Engine
    clock: Clock
    policy: Policy

    def database_reachable(self) -> bool:
        """One trivial query; False (never an exception) when the database is down."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("select 1"))
        except DBAPIError:
            return False
        return True

    @contextmanager
    def transaction(
        self, *, sync_later: bool = False, may_sync_now: bool = False
    ) -> Iterator[Session]:
        with transaction(self.engine, sync_later=sync_later, may_sync_now=may_sync_now) as session:
            yield session


def format_duration(delta: timedelta) -> str:
    """A duration as users read it: 3天5小时, 5小时, 40分钟."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时" if hours else f"{days}天"
    if hours:
        return f"{hours}小时"
    return f"{mins}分钟"


def again_if_disconnected(work: Callable[[], T], what: str) -> T:
    """`work()`, once more on a new connection if the connection broke under it (the server
    restarted; see models.db.PING_IDLE_SECONDS). Only for work that is safe to repeat."""
    try:
        return work()
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        log.warning("database connection lost; %s again", what)
    return work()
