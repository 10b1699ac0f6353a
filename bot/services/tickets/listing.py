"""Read-only views for operators: the ticket list."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

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
            "escalation_step": t.escalation_step - t.escalation_base,
            "source": t.source,
            "supervised": bool(t.supervised),
            "reworks": t.reworks,
            "extensions": t.extensions,
        }
        for t, grid_code, name in rows
    ]
