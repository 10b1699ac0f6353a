"""Weekly and monthly reports on their configured days (default Thursday 16:00, the 1st at
09:00) to each level-2 group and the level-1 group, each with its chart; the monthly one to
the level-1 group also carries the month's Excel ledger. Once per group and period: the
claim (a unique `Reminder.key`) is taken before the report is built, so two sweeps never
build it twice, and a bot that was down sends it when it is back, the same day.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from functools import lru_cache
from pathlib import Path

from sqlmodel import Session, col, select

from bot.services.outbox import once
from bot.services.outbox.once import Claim, short
from bot.services.outbox.queue import PRIORITY_BRIEFING, Draft, enqueue
from bot.services.reports import chart, texts
from bot.services.reports.ledger import write_ledger
from bot.services.reports.periodic import MONTHLY, TITLES, WEEKLY, Report, build
from bot.services.reports.scorecard import Scorecard, load_scorecard
from bot.services.runtime import Runtime
from models.tables import Grid, Room

# A report not sent by this hour (the bot was down all day) waits for the next period.
LATEST = time(20, 0)


@lru_cache(maxsize=4)
def _card(path: Path) -> Scorecard:
    return load_scorecard(path)


def scorecard(runtime: Runtime) -> Scorecard:
    return _card(runtime.policy.scorecard_file)


def due_kinds(runtime: Runtime, now: datetime) -> list[str]:
    card = scorecard(runtime)
    local = runtime.policy.local(now)
    if runtime.policy.calendar.in_quiet_hours(now) or local.time() >= LATEST:
        return []
    kinds = []
    if local.isoweekday() == card.weekly_weekday and local.time() >= card.weekly_at:
        kinds.append(WEEKLY)
    if local.day == card.monthly_day and local.time() >= card.monthly_at:
        kinds.append(MONTHLY)
    return kinds


# The names the two functions below give their files; the grid code tells whose file it is.
_STORED = re.compile(
    r"(?:weekly|monthly)-(?P<chart>.+)-\d{4}-\d{2}-\d{2}\.png|ledger-\d{4}-\d{2}-(?P<book>.+)\.xlsx"
)


def _folder(runtime: Runtime) -> Path:
    return runtime.policy.data_dir / "reports"


def stored_file(runtime: Runtime, name: str) -> Path | None:
    """A chart or ledger this bot wrote, by its bare name (for the pages); None otherwise."""
    if _STORED.fullmatch(name) is None:
        return None
    path = _folder(runtime) / name
    return path if path.is_file() else None


def grid_of_file(name: str) -> str | None:
    """The code of the grid a stored chart or ledger is about."""
    found = _STORED.fullmatch(name)
    return (found.group("chart") or found.group("book")) if found else None


def drafts_for(runtime: Runtime, report: Report, topic: str, key: str) -> list[Draft]:
    """The report's text, then its chart as a picture."""
    day = runtime.policy.local(report.until).date()
    path = _folder(runtime) / f"{report.kind}-{report.grid.code}-{day}.png"
    title = f"{report.grid.name}{TITLES[report.kind]}"
    chart.draw(
        path,
        title,
        sorted(report.figures.by_category.items(), key=lambda item: (-item[1], item[0])),
        [(r.name, r.score) for r in report.ranking if r.score is not None],
    )
    caption = texts.CHART_CAPTION.format(title=TITLES[report.kind], grid=report.grid.name)
    return [
        Draft(
            key=key, text=report.text, room_topic=topic, priority=PRIORITY_BRIEFING, kind="report"
        ),
        Draft(
            key=f"{key}:chart",
            text=caption,
            room_topic=topic,
            priority=PRIORITY_BRIEFING,
            kind="report",
            attachment=str(path),
        ),
    ]


def _ledger(runtime: Runtime, report: Report, topic: str, key: str) -> Draft:
    """The month's 问题整改台账 as an Excel file, for the level-1 group."""
    month = runtime.policy.local(report.since)
    path = _folder(runtime) / f"ledger-{month:%Y-%m}-{report.grid.code}.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_ledger(runtime, path, report.since, report.until, report.grid.code)
    return Draft(
        key=f"{key}:ledger",
        text=texts.LEDGER_CAPTION.format(month=month.month),
        room_topic=topic,
        priority=PRIORITY_BRIEFING,
        kind="report",
        attachment=str(path),
    )


def _rooms(session: Session) -> list[tuple[str, Grid]]:
    return list(
        session.exec(
            select(Room.topic, Grid)
            .join(Grid, col(Grid.id) == Room.grid_id)
            .where(col(Grid.level) <= 2)
            .order_by(col(Grid.level), col(Grid.code))
        ).all()
    )


def sweep(runtime: Runtime) -> list[int]:
    now = runtime.clock.now()
    kinds = due_kinds(runtime, now)
    if not kinds:
        return []
    day = runtime.policy.local(now).date()
    queued: list[int] = []
    for kind in kinds:
        with runtime.transaction() as session:
            rooms = _rooms(session)
            keys = {topic: f"report:{kind}:{short(topic)}:{day.isoformat()}" for topic, _ in rooms}
            won = once.claim(session, [Claim(k, "report") for k in keys.values()], day, now)
            drafts: list[Draft] = []
            card = scorecard(runtime)
            for topic, grid in rooms:
                if keys[topic] not in won:
                    continue
                report = build(session, runtime, card, grid, kind, now)
                drafts += drafts_for(runtime, report, topic, keys[topic])
                if kind == MONTHLY and grid.level == 1:
                    drafts.append(_ledger(runtime, report, topic, keys[topic]))
            queued += enqueue(session, drafts, now)
    return queued


def on_demand(
    session: Session, runtime: Runtime, person_id: int, kind: str
) -> list[tuple[str, str | None]]:
    """周报 / 月报 by a head: this period so far for their top grid; (text, file) pairs."""
    from bot.core.errors import NotAllowed
    from bot.services.roster import lookup
    from models.tables import Membership

    rows = session.exec(
        select(Grid)
        .join(Membership, col(Membership.grid_id) == Grid.id)
        .where(
            Membership.person_id == person_id,
            col(Membership.role).in_((*lookup.CLOSE_ROLES, "admin")),
        )
        .order_by(col(Grid.level), col(Grid.code))
    ).first()
    if rows is None:
        raise NotAllowed(texts.NOT_A_HEAD)
    now = runtime.clock.now()
    report = build(session, runtime, scorecard(runtime), rows, kind, now, so_far=True)
    drafts = drafts_for(runtime, report, "", f"ondemand:{kind}:{person_id}:{now.isoformat()}")
    return [(d.text, d.attachment) for d in drafts]
