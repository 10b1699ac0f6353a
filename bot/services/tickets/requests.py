"""Requests an upper head decides: 延期 (extension) and 申诉 (appeal).

A request is a `TicketRequest` row; at most one is pending per ticket and kind (a partial
unique index), and deciding it is a conditional update on its status, so of two heads who
answer at once exactly one decides and the other is told it was already decided.

延期: the responsible grid asks for a later deadline; the parent grid's head (or deputy, or an
admin) approves or refuses. On approval the deadline moves and the escalation chain starts
again from the new one. At most `Policy.max_extensions` approvals per ticket.

申诉: the responsible grid disputes the problem; escalation pauses (the ticket is 申诉中). A
district or town head (or an admin) decides: upheld ends it as 不予处置 (kept on the ledger,
out of the rates); rejected puts back its status and resumes escalation where it stopped,
with the time the appeal took added to the deadline and to the next step.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.core.errors import NotAllowed, UserError
from bot.services.runtime import Runtime
from bot.services.tickets import texts
from bot.services.tickets.deadlines import parse_deadline
from bot.services.tickets.ledger import NOTE_LIMIT, Origin, check_length, find, info, record
from bot.services.tickets.lifecycle import LEADER_LEVEL, apply, may, reason_of
from bot.services.tickets.notices import Lead, Notice, Outcome, lead_above
from bot.services.tickets.states import APPEAL, DISMISS, LIVE, Access, Status
from models.db import insert_ignore
from models.tables import Grid, Ticket, TicketRequest

EXTENSION = "extension"
APPEAL_KIND = "appeal"
PENDING = "pending"
APPROVED = "approved"
REFUSED = "refused"
LAPSED = "lapsed"  # the ticket moved on (办结, 转办, a later deadline) before anyone decided


def _pending(session: Session, ticket: Ticket, kind: str) -> TicketRequest | None:
    return session.exec(
        select(TicketRequest).where(
            TicketRequest.ticket_id == ticket.id,
            TicketRequest.kind == kind,
            TicketRequest.status == PENDING,
        )
    ).first()


def _file(session: Session, row: dict[str, object], ticket: Ticket, already: str) -> None:
    """Insert the pending request; the partial unique index refuses a second one."""
    if not insert_ignore(session, TicketRequest, [row]):
        raise UserError(already.format(code=ticket.code))


def _decide(
    session: Session, request: TicketRequest, outcome: str, origin: Origin, note: str
) -> bool:
    """Conditional update: True when this decision won."""
    result = session.execute(
        update(TicketRequest)
        .where(col(TicketRequest.id) == request.id, col(TicketRequest.status) == PENDING)
        .values(
            status=outcome,
            decided_at=origin.at,
            decider_id=origin.actor.person_id,
            decision_note=note,
        )
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _grid(session: Session, ticket: Ticket) -> Grid:
    grid = session.get(Grid, ticket.grid_id)
    assert grid is not None
    return grid


def _names(lead: Lead | None) -> tuple[str, str]:
    if lead is None:
        return "", texts.NO_VERIFIER
    return lead.grid.name, lead.name or texts.NO_HEAD


# -- 延期 ------------------------------------------------------------------------------------


def ask_extension(
    session: Session, runtime: Runtime, code: str, text: str, origin: Origin
) -> Outcome:
    """延期 <编号> <时长或日期> <原因>: a duration counts from the current deadline."""
    ticket = find(session, code)
    usage = texts.EXTEND_USAGE.format(code=ticket.code)
    if not may(session, origin.actor.person_id, ticket, Access.OWN):
        raise NotAllowed(texts.NOT_ALLOWED_EXTEND.format(code=ticket.code))
    if ticket.status not in LIVE:
        status = texts.STATUS_NAMES[ticket.status]
        raise UserError(texts.WRONG_STATE.format(code=ticket.code, status=status, action="延期"))
    limit = runtime.policy.max_extensions
    if ticket.extensions >= limit:
        raise UserError(
            texts.EXTEND_LIMIT.format(code=ticket.code, count=ticket.extensions, limit=limit)
        )
    if not text.strip():
        raise UserError(usage)
    when, why = _time_and_reason(text, runtime, origin.at)
    due = _extended(when, ticket, runtime, origin.at)
    reason = reason_of(why, texts.EXTEND_EXAMPLE.format(code=ticket.code))
    fmt = runtime.policy.format_time
    if due <= ticket.due_at:
        raise UserError(texts.EXTEND_NOT_LATER.format(due=fmt(due), current=fmt(ticket.due_at)))
    _file(
        session,
        {
            "ticket_id": ticket.id,
            "kind": EXTENSION,
            "status": PENDING,
            "requester_id": origin.actor.person_id,
            "reason": reason,
            "proposed_due": due,
            "created_at": origin.at,
            "decision_note": "",
        },
        ticket,
        texts.EXTEND_PENDING,
    )
    detail = texts.EXTENSION_EVENT.format(current=fmt(ticket.due_at), due=fmt(due), reason=reason)
    record(session, ticket, origin, "extension_asked", detail)
    moved = info(session, ticket)
    approver = lead_above(session, ticket.grid_id)
    grid_name, head_name = _names(approver)
    reply = texts.EXTEND_ASKED.format(code=moved.code, due=fmt(due), grid=grid_name, head=head_name)
    notices: tuple[Notice, ...] = ()
    if approver is not None:
        notices = (
            approver.notice(
                texts.EXTEND_NOTICE.format(
                    code=moved.code,
                    grid=moved.grid_name,
                    who=origin.actor.name,
                    current=fmt(ticket.due_at),
                    due=fmt(due),
                    reason=reason,
                )
            ),
        )
    return Outcome(moved, reply, notices)


# The longest time written glued to its reason (「3天设备到货晚」, 「11月30日前工程量大」).
_LONGEST_TIME = 16


def _time_and_reason(text: str, runtime: Runtime, now: datetime) -> tuple[str, str]:
    """The time asked for and the reason, whether a space parts them or not."""
    first, _, rest = text.strip().partition(" ")
    if not _readable(first, runtime, now):
        for end in range(min(len(first) - 1, _LONGEST_TIME), 0, -1):
            if _readable(first[:end], runtime, now):
                return first[:end], f"{first[end:]} {rest}".strip()
    return first, rest.strip()  # unreadable: refused with the whole first word


def _readable(text: str, runtime: Runtime, now: datetime) -> bool:
    try:
        parse_deadline(text, now, runtime.policy.tz)
    except UserError:
        return False
    return True


def _extended(text: str, ticket: Ticket, runtime: Runtime, now: datetime) -> datetime:
    """The new deadline: a date as written; a duration (「2天」) from the current deadline."""
    tz = runtime.policy.tz
    as_written = parse_deadline(text, now, tz)  # an unreadable or past time is refused here
    base = max(ticket.due_at, now)
    try:
        from_due = parse_deadline(text, base, tz)
    except UserError:
        return as_written
    # A duration moves with the moment it counts from; a date does not.
    return from_due if from_due - as_written == base - now else as_written


def decide_extension(
    session: Session, runtime: Runtime, code: str, granted: bool, note: str, origin: Origin
) -> Outcome:
    """同意延期 / 不同意延期 <编号> <原因>."""
    ticket = find(session, code)
    if not may(session, origin.actor.person_id, ticket, Access.VERIFIER):
        raise NotAllowed(texts.NOT_ALLOWED_DECIDE_EXTENSION.format(code=ticket.code))
    request = _pending(session, ticket, EXTENSION)
    if request is None:
        raise UserError(texts.NO_PENDING_EXTENSION.format(code=ticket.code))
    if request.requester_id == origin.actor.person_id:
        raise NotAllowed(texts.NOT_OWN_DECISION.format(code=ticket.code))
    check_length(texts.FIELD_NOTE, note.strip(), NOTE_LIMIT)
    fmt = runtime.policy.format_time
    if not granted:
        reason = reason_of(note, texts.REFUSE_EXTENSION_USAGE.format(code=ticket.code))
        if not _decide(session, request, REFUSED, origin, reason):
            raise UserError(texts.NO_PENDING_EXTENSION.format(code=ticket.code))
        record(session, ticket, origin, "extension_refused", reason)
        text = texts.EXTENSION_REFUSED.format(
            code=ticket.code, who=origin.actor.name, reason=reason, due=fmt(ticket.due_at)
        )
        return _told(session, ticket, text)
    if ticket.status not in LIVE:
        status = texts.STATUS_NAMES[ticket.status]
        raise UserError(texts.WRONG_STATE.format(code=ticket.code, status=status, action="延期"))
    if not _decide(session, request, APPROVED, origin, note.strip()):
        raise UserError(texts.NO_PENDING_EXTENSION.format(code=ticket.code))
    due = request.proposed_due or ticket.due_at
    if due <= ticket.due_at:  # the deadline moved since it was asked (退回): it would shorten it
        _decide(session, request, LAPSED, origin, "")
        raise UserError(texts.EXTENSION_LAPSED.format(code=ticket.code, due=fmt(ticket.due_at)))
    result = session.execute(
        update(Ticket)
        .where(
            col(Ticket.id) == ticket.id,
            col(Ticket.status).in_(LIVE),
            col(Ticket.due_at) < due,
        )
        .values(
            due_at=due,
            next_escalation_at=due,
            escalation_base=Ticket.escalation_step,
            extensions=Ticket.extensions + 1,
        )
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise UserError(texts.MOVED_MEANWHILE.format(code=ticket.code))
    session.refresh(ticket)
    record(session, ticket, origin, "extension_granted", fmt(due))
    text = texts.EXTENSION_GRANTED.format(code=ticket.code, who=origin.actor.name, due=fmt(due))
    return _told(session, ticket, text)


def decide_pending(
    session: Session, runtime: Runtime, code: str, yes: bool, note: str, origin: Origin
) -> Outcome:
    """同意 / 不同意 <编号>: decide whatever request waits on the ticket (an appeal first: it
    pauses the ticket, and an extension cannot be granted while it does)."""
    ticket = find(session, code)
    if _pending(session, ticket, APPEAL_KIND) is not None:
        return decide_appeal(session, runtime, ticket.code, yes, note, origin)
    if _pending(session, ticket, EXTENSION) is not None:
        return decide_extension(session, runtime, ticket.code, yes, note, origin)
    raise UserError(texts.NOTHING_PENDING.format(code=ticket.code))


def _told(session: Session, ticket: Ticket, text: str) -> Outcome:
    """The decision, said to the decider and in the responsible grid's group."""
    moved = info(session, ticket)
    mentions = (moved.head_id,) if moved.head_id else ()
    notice = Notice(text, _grid(session, ticket).room_topic, mentions)
    return Outcome(moved, text, (notice,))


# -- 申诉 ------------------------------------------------------------------------------------


def appeal(session: Session, runtime: Runtime, code: str, text: str, origin: Origin) -> Outcome:
    """申诉 <编号> <理由>: escalation pauses until a district or town head decides."""
    ticket = find(session, code)
    if not may(session, origin.actor.person_id, ticket, Access.OWN):
        raise NotAllowed(texts.NOT_ALLOWED_APPEAL.format(code=ticket.code))
    reason = reason_of(text, texts.APPEAL_USAGE.format(code=ticket.code))
    prior, paused_next = ticket.status, ticket.next_escalation_at
    apply(session, ticket, APPEAL, origin, reason)
    _file(
        session,
        {
            "ticket_id": ticket.id,
            "kind": APPEAL_KIND,
            "status": PENDING,
            "requester_id": origin.actor.person_id,
            "reason": reason,
            "prior_status": prior,
            "paused_next_at": paused_next,
            "created_at": origin.at,
            "decision_note": "",
        },
        ticket,
        texts.NO_PENDING_APPEAL,
    )
    moved = info(session, ticket)
    decider = lead_above(session, ticket.grid_id, top_level=LEADER_LEVEL)
    grid_name, head_name = _names(decider)
    reply = texts.APPEALED.format(code=moved.code, grid=grid_name, head=head_name)
    notices: tuple[Notice, ...] = ()
    if decider is not None:
        notices = (
            decider.notice(
                texts.APPEAL_NOTICE.format(
                    code=moved.code,
                    grid=moved.grid_name,
                    who=origin.actor.name,
                    reason=reason,
                    category=moved.category,
                    location=moved.location,
                )
            ),
        )
    del runtime
    return Outcome(moved, reply, notices)


def decide_appeal(
    session: Session, runtime: Runtime, code: str, upheld: bool, note: str, origin: Origin
) -> Outcome:
    """申诉通过 (不予处置) / 驳回申诉 <编号> <原因> (resumes where it stopped)."""
    ticket = find(session, code)
    if not may(session, origin.actor.person_id, ticket, Access.LEADER):
        raise NotAllowed(texts.NOT_ALLOWED_DECIDE_APPEAL.format(code=ticket.code))
    request = _pending(session, ticket, APPEAL_KIND)
    if request is None or ticket.status != Status.APPEALED:
        raise UserError(texts.NO_PENDING_APPEAL.format(code=ticket.code))
    if request.requester_id == origin.actor.person_id:
        raise NotAllowed(texts.NOT_OWN_DECISION.format(code=ticket.code))
    check_length(texts.FIELD_NOTE, note.strip(), NOTE_LIMIT)
    if upheld:
        if not _decide(session, request, APPROVED, origin, note.strip()):
            raise UserError(texts.NO_PENDING_APPEAL.format(code=ticket.code))
        apply(session, ticket, DISMISS, origin, note.strip() or request.reason)
        text = texts.APPEAL_UPHELD.format(code=ticket.code, who=origin.actor.name)
        return _told(session, ticket, text)
    reason = reason_of(note, texts.REJECT_APPEAL_USAGE.format(code=ticket.code))
    if not _decide(session, request, REFUSED, origin, reason):
        raise UserError(texts.NO_PENDING_APPEAL.format(code=ticket.code))
    _resume(session, ticket, request, origin.at)
    record(session, ticket, origin, "appeal_rejected", reason)
    fmt = runtime.policy.format_time
    text = texts.APPEAL_REJECTED.format(
        code=ticket.code, who=origin.actor.name, reason=reason, due=fmt(ticket.due_at)
    )
    return _told(session, ticket, text)


def _resume(session: Session, ticket: Ticket, request: TicketRequest, now: datetime) -> None:
    """Put back the status before the appeal; the clock restarts where it was stopped."""
    paused = now - request.created_at
    next_at = request.paused_next_at + paused if request.paused_next_at else None
    result = session.execute(
        update(Ticket)
        .where(col(Ticket.id) == ticket.id, col(Ticket.status) == Status.APPEALED)
        .values(
            status=request.prior_status or Status.ACCEPTED,
            due_at=ticket.due_at + paused,
            next_escalation_at=next_at,
        )
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise UserError(texts.MOVED_MEANWHILE.format(code=ticket.code))
    session.refresh(ticket)
