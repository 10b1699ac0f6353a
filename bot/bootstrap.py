"""Building the runtime from settings: shared by the web app, the command line and tests."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.core.clock import Clock, SystemClock
from bot.services.calendar.schedule import ScheduleFileError, load_schedule
from bot.services.reports.scorecard import ScorecardFileError, load_scorecard
from bot.services.runtime import Policy, Runtime
from bot.services.understanding.categories import CategoryFileError, load_categories
from config.settings import Settings, SettingsError
from models.db import make_engine, migrate


def build_policy(settings: Settings) -> Policy:
    try:
        categories = load_categories(settings.categories_file)
    except CategoryFileError as exc:
        raise SettingsError(f"GRIDBOT_CATEGORIES_FILE: {exc}") from None
    tz = ZoneInfo(settings.timezone)
    try:
        schedule = load_schedule(settings.schedule_file, tz)
    except ScheduleFileError as exc:
        raise SettingsError(f"GRIDBOT_SCHEDULE_FILE: {exc}") from None
    try:
        load_scorecard(settings.scorecard_file)
    except ScorecardFileError as exc:
        raise SettingsError(f"GRIDBOT_SCORECARD_FILE: {exc}") from None
    return Policy(
        tz=tz,
        schedule=schedule,
        scorecard_file=settings.scorecard_file,
        categories=categories,
        escalation_interval=timedelta(hours=settings.escalation_interval_hours),
        briefing_time=settings.briefing_time,
        evidence_window=timedelta(minutes=settings.evidence_window_minutes),
        data_dir=settings.data_dir,
        max_extensions=settings.max_extensions,
        supervision_factor=settings.supervision_factor,
        duplicate_window=timedelta(hours=settings.duplicate_window_hours),
    )


def build_runtime(settings: Settings, clock: Clock | None = None) -> Runtime:
    """Engine (migrated), clock and policy: what the CLI and the web app both need."""
    engine = make_engine(settings.database_url)
    migrate(engine)
    return Runtime(engine=engine, clock=clock or SystemClock(), policy=build_policy(settings))
