"""Counting the tickets under grids: per grid first, then summed up the closure."""

from __future__ import annotations

from sqlalchemy import ColumnElement, case, func
from sqlmodel import Session, col, select

from models.tables import GridClosure, Ticket


def by_root(
    session: Session, roots: list[int], *where: object, only: ColumnElement[bool] | None = None
) -> dict[int, int]:
    """Matching tickets under each root: counted per grid first, then summed up the closure.

    Counting per grid touches each matching ticket once, through whichever index serves
    `where` (joining tickets to the closure first touched each once per ancestor, and read
    every ticket of the subtree whatever the filter). The closure is joined by descendant, a
    handful of rows per grid; a filter on the roots there made SQLite probe the closure's
    key once per grid per root instead, so the roots are picked out afterwards.

    `only`: a condition each ticket `where` found must meet too, counted rather than
    filtered on, so it cannot pick the index: SQLite, without statistics, prefers an
    equality on one index (status = 'closed', nine in ten tickets) to a range on another.
    """
    n = func.count() if only is None else func.sum(case((only, 1), else_=0))
    per_grid = (
        select(col(Ticket.grid_id).label("grid_id"), n.label("n"))
        .where(*where)  # type: ignore[arg-type]
        .group_by(col(Ticket.grid_id))
        .subquery()
    )
    rows = session.exec(
        select(GridClosure.ancestor_id, func.sum(per_grid.c.n))
        .join(per_grid, per_grid.c.grid_id == GridClosure.descendant_id)
        .group_by(col(GridClosure.ancestor_id))
    ).all()
    wanted = set(roots)
    return {root: int(count or 0) for root, count in rows if root in wanted}
