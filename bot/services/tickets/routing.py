"""Moving a ticket between grids: 交办 (assign down), 上报上级 (hand up), 转办 (transfer).

Each move is one conditional update on the ticket's grid (`_move_grid`): two heads moving the
same ticket at once cannot both win. The grid the ticket was first put on stays on the record
(`Ticket.origin_grid_id`), and the new grid's head, who becomes responsible, is told in their
own group with a mention.
"""

from __future__ import annotations

import re
from dataclasses import replace

from sqlalchemy import update
from sqlmodel import Session, col

from bot.core.errors import NotAllowed, UserError
from bot.services.roster import lookup
from bot.services.runtime import Runtime
from bot.services.tickets import texts
from bot.services.tickets.deadlines import URGENT, parse_deadline
from bot.services.tickets.ledger import (
    NOTE_LIMIT,
    Origin,
    TicketInfo,
    check_length,
    find,
    info,
    open_ticket,
    record,
)
from bot.services.tickets.lifecycle import lapse_requests, may, may_in_grid, reason_of
from bot.services.tickets.notices import Notice, Outcome, lead_above, lead_of
from bot.services.tickets.states import LIVE, Access, Status
from bot.services.understanding.reports import ParsedReport, read_reports
from models.tables import Grid, GridClosure, Ticket

ASSIGNED = "assigned"  # Ticket.source of a task an upper level assigned (上级交办)


def _grid_for(session: Session, text: str, near: int | None) -> Grid:
    named = lookup.grids_named(session, text, near)
    if len(named) == 1:
        return named[0]
    if named:
        choices = "、".join(f"{g.name}（{g.code}）" for g in named[:6])
        raise UserError(texts.WHICH_GRID.format(given=text, choices=choices))
    raise UserError(texts.UNKNOWN_GRID.format(given=text))


def _is_under(session: Session, grid_id: int, ancestor_id: int, *, strictly: bool) -> bool:
    row = session.get(GridClosure, (ancestor_id, grid_id))
    return row is not None and (row.depth > 0 or not strictly)


def _move_grid(
    session: Session,
    ticket: Ticket,
    target: Grid,
    origin: Origin,
    kind: str,
    detail: str,
    *,
    reopen: bool,
) -> TicketInfo:
    """Put the ticket on `target` (its head responsible), if nobody moved it meanwhile.

    The escalation chain starts again from the new grid: from the deadline if it is still
    ahead, else at once (the new head is reminded of an overdue task straight away).
    """
    lead = lead_of(session, target)
    values: dict[str, object] = {
        "grid_id": target.id,
        "responsible_id": lead.person.id if lead.person else None,
        "origin_grid_id": ticket.origin_grid_id or ticket.grid_id,
        "escalation_base": Ticket.escalation_step,
        "opened_at": origin.at,
        "next_escalation_at": max(ticket.due_at, origin.at),
    }
    if reopen:
        values["status"] = Status.OPEN
    result = session.execute(
        update(Ticket)
        .where(
            col(Ticket.id) == ticket.id,
            col(Ticket.grid_id) == ticket.grid_id,
            col(Ticket.status).in_(LIVE),
        )
        .values(**values)
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(ticket)
        raise UserError(texts.MOVED_MEANWHILE.format(code=ticket.code))
    session.refresh(ticket)
    record(session, ticket, origin, kind, detail)
    lapse_requests(session, ticket, origin)
    return info(session, ticket)


def _live(ticket: Ticket, action: str) -> None:
    if ticket.status not in LIVE:
        status = texts.STATUS_NAMES.get(ticket.status, ticket.status)
        raise UserError(texts.WRONG_STATE.format(code=ticket.code, status=status, action=action))


def assign(
    session: Session, runtime: Runtime, code: str | None, text: str, origin: Origin
) -> Outcome:
    """交办: `交办 <编号> <网格>` sends a ticket down; `交办 <网格> <类型> <地点> …` opens a task.

    A code that is no ticket is read as the start of a grid (grid codes have digits too).
    """
    if code is not None:
        ticket = find_or_none(session, code)
        if ticket is not None:
            return _assign_existing(session, runtime, ticket, text, origin)
        text = f"{code} {text}"
    return _assign_new(session, runtime, text, origin)


def find_or_none(session: Session, code: str) -> Ticket | None:
    try:
        return find(session, code)
    except UserError:
        return None


def _assign_existing(
    session: Session, runtime: Runtime, ticket: Ticket, text: str, origin: Origin
) -> Outcome:
    words = text.split(maxsplit=1)
    if not words:
        raise UserError(texts.ASSIGN_USAGE)
    if not may(session, origin.actor.person_id, ticket, Access.HEAD):
        raise NotAllowed(texts.NOT_ALLOWED_ASSIGN.format(code=ticket.code))
    _live(ticket, "交办")
    target = _grid_for(session, words[0], ticket.grid_id)
    if not _is_under(session, target.id or 0, ticket.grid_id, strictly=True):
        current = info(session, ticket).grid_name
        raise UserError(
            texts.ASSIGN_NOT_BELOW.format(code=ticket.code, grid=target.name, current=current)
        )
    note = words[1].strip() if len(words) > 1 else ""
    check_length(texts.FIELD_NOTE, note, NOTE_LIMIT)
    detail = texts.ASSIGN_EVENT.format(grid=target.name) + (f"（{note}）" if note else "")
    moved = _move_grid(session, ticket, target, origin, "assigned", detail, reopen=True)
    return _assigned(session, runtime, moved, origin, note)


def _assign_new(session: Session, runtime: Runtime, text: str, origin: Origin) -> Outcome:
    words = text.split(maxsplit=1)
    if len(words) < 2:
        raise UserError(texts.ASSIGN_USAGE)
    home = lookup.home_grid(session, origin.actor.person_id)
    target = _grid_for(session, words[0], home.id if home else None)
    if not may_in_grid(session, origin.actor.person_id, target.id or 0, Access.VERIFIER):
        raise NotAllowed(texts.NOT_ALLOWED_ASSIGN_NEW.format(grid=target.name))
    report = _task(words[1], runtime, origin)
    if report is None or report.location is None:
        raise UserError(texts.ASSIGN_USAGE)
    # A task is what the upper level asks for: it never joins a ticket as a duplicate report.
    opened = open_ticket(
        session, runtime, replace(report, grid_text=target.code), origin, allow_duplicate=True
    )
    ticket = find(session, opened.code)
    ticket.source = ASSIGNED
    session.add(ticket)
    record(session, ticket, origin, "assigned", texts.ASSIGN_EVENT.format(grid=target.name))
    return _assigned(session, runtime, info(session, ticket), origin, "")


def _task(text: str, runtime: Runtime, origin: Origin) -> ParsedReport | None:
    """The task's fields, as a report would give them; a last word that is a deadline is one."""
    deadline = None
    words = text.split()
    if len(words) >= 3 and "期限" not in text:
        last = words[-1]
        if URGENT.fullmatch(last) or _reads_as_deadline(last, runtime, origin):
            deadline = last
            text = text[: text.rstrip().rfind(last)].rstrip()
    reports = read_reports(f"#上报 {text}", runtime.policy.categories)
    if not reports:
        return None
    report = reports[0]
    return replace(report, deadline_text=deadline) if deadline else report


def _reads_as_deadline(word: str, runtime: Runtime, origin: Origin) -> bool:
    try:
        parse_deadline(word, origin.at, runtime.policy.tz)
    except UserError:
        return False
    return True


def _assigned(
    session: Session, runtime: Runtime, moved: TicketInfo, origin: Origin, note: str
) -> Outcome:
    grid = session.get(Grid, moved.grid_id)
    assert grid is not None
    lead = lead_of(session, grid)
    notice = lead.notice(
        texts.ASSIGNED_NOTICE.format(
            code=moved.code,
            who=origin.actor.name,
            category=moved.category,
            location=moved.location,
            description=note or moved.description or "（无）",
            head=lead.name or texts.NO_HEAD,
            due=runtime.policy.format_time(moved.due_at),
        )
    )
    reply = texts.ASSIGNED.format(
        code=moved.code, grid=moved.grid_name, head=lead.name or texts.NO_HEAD
    )
    return Outcome(moved, reply, (notice,))


def hand_up(session: Session, runtime: Runtime, code: str, reason: str, origin: Origin) -> Outcome:
    """上报上级: the responsible grid hands a problem it cannot settle to its parent grid."""
    ticket = find(session, code)
    if not may(session, origin.actor.person_id, ticket, Access.OWN):
        raise NotAllowed(texts.NOT_ALLOWED_HAND_UP.format(code=ticket.code))
    reason = reason_of(reason, texts.HAND_UP_USAGE.format(code=ticket.code))
    _live(ticket, "上报上级")
    parent = lead_above(session, ticket.grid_id)
    if parent is None:
        raise UserError(texts.HAND_UP_TOP.format(code=ticket.code))
    before = info(session, ticket).grid_name
    detail = texts.HAND_UP_EVENT.format(frm=before, to=parent.grid.name, reason=reason)
    moved = _move_grid(session, ticket, parent.grid, origin, "handed_up", detail, reopen=False)
    notice = parent.notice(
        texts.HANDED_UP_NOTICE.format(
            code=moved.code,
            frm=before,
            who=origin.actor.name,
            reason=reason,
            category=moved.category,
            location=moved.location,
            head=parent.name or texts.NO_HEAD,
            due=runtime.policy.format_time(moved.due_at),
        )
    )
    reply = texts.HANDED_UP.format(
        code=moved.code, grid=parent.grid.name, head=parent.name or texts.NO_HEAD
    )
    return Outcome(moved, reply, (notice,))


_TO_GRID = re.compile(r"^\s*(?:到|给|至|转到)\s*")
_GRID_THEN_REASON = re.compile(r"[\s,，;；。]+")


def _grid_and_reason(session: Session, text: str) -> list[str]:
    """「西关社区 位置不对」, or 「到西关社区，位置不对」 as a sentence: the grid as written first
    (至善村 and 给水厂社区 begin with 至 and 给), then without its 到 and up to a comma."""
    words = text.split(maxsplit=1)
    if len(words) == 2 and lookup.grids_named(session, words[0], None):
        return words
    spoken = [w for w in _GRID_THEN_REASON.split(_TO_GRID.sub("", text, count=1), maxsplit=1) if w]
    return spoken if len(spoken) == 2 else words


def transfer(session: Session, runtime: Runtime, code: str, text: str, origin: Origin) -> Outcome:
    """转办: a head over both grids (or an admin) moves a ticket to the right grid."""
    ticket = find(session, code)
    words = _grid_and_reason(session, text)
    usage = texts.TRANSFER_USAGE.format(code=ticket.code)
    if not words:
        raise UserError(usage)
    if not may(session, origin.actor.person_id, ticket, Access.HEAD):
        raise NotAllowed(texts.NOT_ALLOWED_TRANSFER.format(code=ticket.code))
    if len(words) < 2 or not words[1].strip():
        raise UserError(usage)
    reason = reason_of(words[1], texts.TRANSFER_EXAMPLE.format(code=ticket.code))
    _live(ticket, "转办")
    target = _grid_for(session, words[0], ticket.grid_id)
    if target.id == ticket.grid_id:
        raise UserError(texts.TRANSFER_SAME.format(code=ticket.code, grid=target.name))
    if not may_in_grid(session, origin.actor.person_id, target.id or 0, Access.HEAD):
        raise NotAllowed(texts.NOT_ALLOWED_TRANSFER_TO.format(code=ticket.code, grid=target.name))
    before = info(session, ticket)
    detail = texts.TRANSFER_EVENT.format(frm=before.grid_name, to=target.name, reason=reason)
    moved = _move_grid(session, ticket, target, origin, "transferred", detail, reopen=True)
    lead = lead_of(session, target)
    to_new = lead.notice(
        texts.TRANSFERRED_IN.format(
            code=moved.code,
            frm=before.grid_name,
            who=origin.actor.name,
            reason=reason,
            category=moved.category,
            location=moved.location,
            head=lead.name or texts.NO_HEAD,
            due=runtime.policy.format_time(moved.due_at),
        )
    )
    old_mentions = (before.head_id,) if before.head_id else ()
    to_old = Notice(
        texts.TRANSFERRED_OUT.format(code=moved.code, to=target.name, reason=reason),
        before.room_topic,
        old_mentions,
    )
    reply = texts.TRANSFERRED.format(
        code=moved.code, grid=target.name, head=lead.name or texts.NO_HEAD
    )
    return Outcome(moved, reply, (to_new, to_old))
