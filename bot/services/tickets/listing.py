"""Read-only views for operators: the ticket list, and who a command-line sender is."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlmodel import Session, col, or_, select

from bot.core.errors import UserError
from bot.services.roster import texts as roster_texts
from bot.services.roster.lookup import ROSTER_PREFIX
from models.tables import Grid, Person, Ticket


def list_tickets(session: Session, tz: ZoneInfo) -> list[dict[str, object]]:
    """Every ticket as the `gridbot tickets --json` contract describes it, oldest first."""
    reporter = Person.__table__.alias("reporter")  # type: ignore[attr-defined]
    rows = session.exec(
        select(Ticket, Grid.code, reporter.c.name)
        .join(Grid, col(Grid.id) == Ticket.grid_id)
        .join(reporter, reporter.c.id == Ticket.reporter_id, isouter=True)
        .order_by(col(Ticket.id))
    ).all()
    return [
        {
            "code": t.code,
            "status": t.status,
            "category": t.category,
            "grid": grid_code,
            "location": t.location,
            "description": t.description,
            "reporter": name,
            "due_at": t.due_at.astimezone(tz).isoformat(),
            "created_at": t.created_at.astimezone(tz).isoformat(),
            "escalation_step": t.escalation_step,
        }
        for t, grid_code, name in rows
    ]


def sender_for(session: Session, who: str) -> tuple[str, str]:
    """(sender id, display name) for a roster member named by 姓名 or 微信号.

    Someone not on the roster is passed through as is, so the bot's refusal can be tried.
    """
    matches = session.exec(
        select(Person).where(or_(Person.wechat_id == who, Person.name == who))
    ).all()
    if len(matches) > 1:
        raise UserError(roster_texts.AMBIGUOUS_SENDER.format(name=who))
    if not matches:
        return who, who
    person = matches[0]
    return person.wechat_id or f"{ROSTER_PREFIX}{person.id}", person.name
