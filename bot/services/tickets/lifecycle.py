"""What grid staff do to a ticket by command: accept, resolve, close, query."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from bot.core.errors import NotAllowed, UserError
from bot.services.roster import lookup
from bot.services.runtime import Runtime
from bot.services.tickets import texts
from bot.services.tickets.deadlines import parse_deadline
from bot.services.tickets.ledger import (
    DESCRIPTION_LIMIT,
    LOCATION_LIMIT,
    NOTE_LIMIT,
    Origin,
    TicketInfo,
    check_length,
    find,
    info,
    record,
)
from bot.services.tickets.notices import Notice, Outcome, lead_above
from bot.services.tickets.states import (
    ACCEPT,
    CLOSE,
    LIVE,
    RESOLVE,
    RETURN,
    Access,
    Status,
    Transition,
)
from bot.services.understanding.categories import index_for
from models.tables import (
    Evidence,
    Grid,
    Membership,
    Person,
    Ticket,
    TicketEvent,
    TicketRequest,
)

AFTER = "after"  # Evidence.stage of a 整改后 photo


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    who: str
    kind: str
    detail: str


@dataclass(frozen=True)
class TicketStatus:
    ticket: TicketInfo
    history: tuple[HistoryLine, ...]
    evidence_count: int
    after_count: int = 0
    escalations: int = 0
    pending_extension: datetime | None = None


def _grid_name(session: Session, ticket: Ticket) -> str:
    grid = session.get(Grid, ticket.grid_id)
    return grid.name if grid else ""


def may(session: Session, person_id: int, ticket: Ticket, access: Access) -> bool:
    """Whether the person's place in the grid tree gives them `access` to the ticket."""
    if access is Access.VIEWER and ticket.reporter_id == person_id:
        return True
    if may_in_grid(session, person_id, ticket.grid_id, access):
        return True
    return access is Access.VIEWER and _co_reporter(session, person_id, ticket)


def may_in_grid(session: Session, person_id: int, grid_id: int, access: Access) -> bool:
    """`may`, for a grid rather than a ticket (交办 of a new task names only a grid)."""
    if access is Access.ANYONE:
        return True
    roles = lookup.roles_over(session, person_id, grid_id)
    if any(role == "admin" for role, _ in roles):
        return True  # a 管理员 acts within their own grid's subtree (level 1: everywhere)
    leads = [depth for role, depth in roles if role in lookup.CLOSE_ROLES]
    if access is Access.VERIFIER:
        return any(depth > 0 for depth in leads)
    if access is Access.HEAD:
        return bool(leads)
    if access is Access.LEADER:
        grid = session.get(Grid, grid_id)
        level = grid.level if grid else 0
        # Above the ticket's grid: a town head does not decide on (or supervise) a town ticket.
        return any(level - depth <= LEADER_LEVEL and depth > 0 for depth in leads)
    if access is Access.OWN:
        return any(depth == 0 for _, depth in roles)
    return bool(roles)


# 申诉 and 督办 are decided at the district (1) or town/street (2) level.
LEADER_LEVEL = 2


def reach_of(session: Session, person_id: int) -> set[Access]:
    """The kinds of access the person has somewhere (what 「帮助」 shows them)."""
    rows = session.exec(
        select(Membership.role, Grid.level)
        .join(Grid, col(Grid.id) == Membership.grid_id)
        .where(Membership.person_id == person_id)
    ).all()
    reach = {Access.ANYONE}
    if rows:
        reach |= {Access.VIEWER, Access.STAFF, Access.OWN}
    for role, level in rows:
        if role in lookup.CLOSE_ROLES or role == "admin":
            reach |= {Access.HEAD, Access.VERIFIER}
            if level <= LEADER_LEVEL or role == "admin":
                reach.add(Access.LEADER)
            if level == 1 or role == "admin":
                reach.add(Access.DISTRICT)
    return reach


def _co_reporter(session: Session, person_id: int, ticket: Ticket) -> bool:
    return (
        session.exec(
            select(TicketEvent.id).where(
                TicketEvent.ticket_id == ticket.id,
                TicketEvent.kind == "co_reported",
                TicketEvent.actor_id == person_id,
            )
        ).first()
        is not None
    )


def _refuse_access(session: Session, ticket: Ticket, transition: Transition) -> NotAllowed:
    template = texts.NOT_ALLOWED[transition.name]
    return NotAllowed(template.format(code=ticket.code, grid=_grid_name(session, ticket)))


def _wrong_state(transition: Transition, code: str, status: Status) -> UserError:
    """Why `transition` cannot start from `status`, in the words of the command's sender."""
    name = texts.STATUS_NAMES[status]
    if status is Status.CLOSED:
        text = texts.ALREADY_CLOSED
    elif transition is CLOSE and status in LIVE:
        text = texts.CLOSE_NEEDS_RESOLVED
    elif transition in (ACCEPT, RESOLVE) and status is Status.RESOLVED:
        text = texts.ALREADY_RESOLVED
    elif transition is ACCEPT and status is Status.ACCEPTED:
        text = texts.ALREADY_ACCEPTED
    else:
        action = texts.ACTION_NAMES[transition.name]
        return UserError(texts.WRONG_STATE.format(code=code, status=name, action=action))
    return UserError(text.format(code=code, status=name))


def apply(
    session: Session,
    ticket: Ticket,
    transition: Transition,
    origin: Origin,
    detail: str = "",
    values: dict[str, object] | None = None,
) -> None:
    """Make the move as a conditional update; the loser of a race gets a clear refusal.

    `values` are further columns set in the same update (a new deadline, a counter).
    """
    changes: dict[str, object] = {"status": transition.target, **(values or {})}
    if transition.stamp:
        changes[transition.stamp] = origin.at
    if transition.stops_escalation:
        changes["next_escalation_at"] = None
    result = session.execute(
        update(Ticket)
        .where(col(Ticket.id) == ticket.id, col(Ticket.status).in_(transition.sources))
        .values(**changes)
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(ticket)  # someone else moved it since it was read
        raise _wrong_state(transition, ticket.code, Status(ticket.status))
    session.refresh(ticket)
    record(session, ticket, origin, transition.event, detail)
    if transition.target not in LIVE:
        lapse_requests(session, ticket, origin)


def lapse_requests(session: Session, ticket: Ticket, origin: Origin) -> None:
    """A pending 延期 lapses when the ticket leaves 处置 (办结, 申诉, 销号) or its grid."""
    session.execute(
        update(TicketRequest)
        .where(
            col(TicketRequest.ticket_id) == ticket.id,
            col(TicketRequest.kind) == "extension",
            col(TicketRequest.status) == "pending",
        )
        .values(status="lapsed", decided_at=origin.at)
    )


def _move(
    session: Session, code: str, transition: Transition, origin: Origin, detail: str = ""
) -> TicketInfo:
    ticket = find(session, code)
    if not may(session, origin.actor.person_id, ticket, transition.access):
        raise _refuse_access(session, ticket, transition)
    if ticket.status not in transition.sources:
        raise _wrong_state(transition, ticket.code, Status(ticket.status))
    if transition is RESOLVE and not detail:
        raise UserError(texts.RESOLVE_NEEDS_NOTE.format(code=ticket.code))
    check_length(texts.FIELD_NOTE, detail, NOTE_LIMIT)
    apply(session, ticket, transition, origin, detail)
    return info(session, ticket)


def accept(session: Session, code: str, origin: Origin) -> TicketInfo:
    """受理: staff of the ticket's grid or an ancestor take it on."""
    return _move(session, code, ACCEPT, origin)


def resolve(session: Session, runtime: Runtime, code: str, note: str, origin: Origin) -> Outcome:
    """办结: the problem is handled; escalation stops and the verifier above is asked.

    The verifier is the nearest head above the ticket's grid, told in their own group with a
    mention. Photos the resolver sent in the evidence window just before count as 整改后.
    """
    moved = _move(session, code, RESOLVE, origin, note.strip())
    ticket = find(session, moved.code)
    _restage_recent(session, runtime, ticket, origin)
    verifier = lead_above(session, ticket.grid_id)
    needs_photo = _needs_photo(runtime, ticket)
    photos = after_photos(session, ticket)
    name = verifier.name if verifier and verifier.name else texts.NO_VERIFIER
    template = texts.RESOLVED_ASK if verifier is not None else texts.NO_VERIFIER_TOP
    reply = template.format(
        code=moved.code,
        who=origin.actor.name,
        note=note.strip(),
        grid=verifier.grid.name if verifier else "",
        verifier=name,
    )
    extra: tuple[str, ...] = ()
    if needs_photo and not photos:
        minutes = int(runtime.policy.evidence_window.total_seconds() // 60)
        extra = (texts.RESOLVED_NEEDS_PHOTO.format(minutes=minutes, code=moved.code),)
    notices: tuple[Notice, ...] = ()
    if verifier is not None:
        shown = texts.PHOTOS_COUNT.format(count=photos) if photos else texts.PHOTOS_NONE_YET
        notices = (
            verifier.notice(
                texts.VERIFY_NOTICE.format(
                    code=moved.code,
                    grid=moved.grid_name,
                    who=origin.actor.name,
                    category=moved.category,
                    location=moved.location,
                    note=note.strip(),
                    photos=shown if needs_photo or photos else "无需",
                )
            ),
        )
    return Outcome(moved, reply, notices, extra)


def _needs_photo(runtime: Runtime, ticket: Ticket) -> bool:
    category = index_for(runtime.policy.categories).exact(ticket.category)
    return bool(category and category.after_photo)


def after_photos(session: Session, ticket: Ticket) -> int:
    """整改后 photos on the ticket (claimed or saved; a missing one does not count)."""
    return int(
        session.exec(
            select(func.count(col(Evidence.id))).where(
                Evidence.ticket_id == ticket.id,
                Evidence.stage == AFTER,
                Evidence.status != "missing",
            )
        ).one()
    )


def _restage_recent(session: Session, runtime: Runtime, ticket: Ticket, origin: Origin) -> None:
    """The resolver's photos of the last minutes (taken, then 办结 typed) are 整改后 photos."""
    since = origin.at - runtime.policy.evidence_window
    if ticket.accepted_at is not None:
        since = max(since, ticket.accepted_at)
    session.execute(
        update(Evidence)
        .where(
            col(Evidence.ticket_id) == ticket.id,
            col(Evidence.person_id) == origin.actor.person_id,
            col(Evidence.at) >= since,
            col(Evidence.at) <= origin.at,
        )
        .values(stage=AFTER)
    )


def close(session: Session, runtime: Runtime, code: str, origin: Origin) -> TicketInfo:
    """销号 / 核查通过: a head or deputy above (or an admin) closes a resolved ticket."""
    ticket = find(session, code)
    if (
        ticket.status == Status.RESOLVED
        and may(session, origin.actor.person_id, ticket, CLOSE.access)
        and _needs_photo(runtime, ticket)
        and not after_photos(session, ticket)
    ):
        raise UserError(texts.CLOSE_NEEDS_PHOTO.format(code=ticket.code))
    return _move(session, code, CLOSE, origin)


def send_back(session: Session, runtime: Runtime, code: str, text: str, origin: Origin) -> Outcome:
    """退回: the verifier sends poor work back, with a new deadline; escalation restarts."""
    ticket = find(session, code)
    if not may(session, origin.actor.person_id, ticket, RETURN.access):
        raise _refuse_access(session, ticket, RETURN)
    if ticket.status != Status.RESOLVED:
        raise _wrong_state(RETURN, ticket.code, Status(ticket.status))
    reason, due = split_deadline(text, runtime, origin.at)
    if not reason:
        raise UserError(
            texts.NEEDS_REASON.format(usage=texts.RETURN_USAGE.format(code=ticket.code))
        )
    check_length(texts.FIELD_REASON, reason, NOTE_LIMIT)
    category = index_for(runtime.policy.categories).exact(ticket.category)
    if due is None:
        due = origin.at + (category.deadline if category else runtime.policy.escalation_interval)
    values: dict[str, object] = {
        "due_at": due,
        "next_escalation_at": due,
        "escalation_base": Ticket.escalation_step,
        "resolved_at": None,
        "reworks": Ticket.reworks + 1,
    }
    apply(session, ticket, RETURN, origin, reason, values)
    moved = info(session, ticket)
    head = lookup.leads_of(session, [ticket.grid_id]).get(ticket.grid_id)
    due_text = runtime.policy.format_time(due)
    reply = texts.RETURNED.format(
        code=moved.code, n=ticket.reworks, who=origin.actor.name, reason=reason, due=due_text
    )
    grid = session.get(Grid, ticket.grid_id)
    notice = Notice(
        texts.RETURNED_NOTICE.format(
            code=moved.code,
            who=origin.actor.name,
            reason=reason,
            head=head.name if head else texts.NO_HEAD,
            due=due_text,
        ),
        grid.room_topic if grid else None,
        (head.id,) if head and head.id else (),
    )
    return Outcome(moved, reply, (notice,))


def reason_of(text: str, usage: str) -> str:
    """The reason a command must give (上报上级, 转办, 申诉, 不同意延期 …), checked for length."""
    text = text.strip()
    if not text:
        raise UserError(texts.NEEDS_REASON.format(usage=usage))
    check_length(texts.FIELD_REASON, text, NOTE_LIMIT)
    return text


def split_deadline(text: str, runtime: Runtime, at: datetime) -> tuple[str, datetime | None]:
    """「煤炉未拆除 2天」: the text, and a deadline written as its last word, if it is one."""
    text = text.strip()
    head, _, last = text.rpartition(" ")
    last = last.removeprefix("新期限").removeprefix("期限").lstrip(":：")
    if not head.strip() or not last:
        return text, None
    try:
        return head.strip(), parse_deadline(last, at, runtime.policy.tz)
    except UserError:
        return text, None


def attach_ready(session: Session, code: str, origin: Origin) -> TicketInfo:
    """照片 <编号>: the sender's next photos within the evidence window go on this ticket."""
    ticket = find(session, code)
    if not may(session, origin.actor.person_id, ticket, Access.VIEWER):
        raise NotAllowed(texts.NOT_ALLOWED_QUERY.format(code=ticket.code))
    record(session, ticket, origin, "attach_ready")
    return info(session, ticket)


def query(session: Session, code: str, origin: Origin) -> TicketStatus:
    """查询: status and history, for staff of the grid or above, admins and the reporter."""
    ticket = find(session, code)
    person_id = origin.actor.person_id
    if not may(session, person_id, ticket, Access.VIEWER):
        raise NotAllowed(texts.NOT_ALLOWED_QUERY.format(code=ticket.code))
    rows = session.exec(
        select(TicketEvent, Person.name)
        .join(Person, col(Person.id) == TicketEvent.actor_id, isouter=True)
        .where(TicketEvent.ticket_id == ticket.id)
        .order_by(col(TicketEvent.at), col(TicketEvent.id))
    ).all()
    history = tuple(
        HistoryLine(at=event.at, who=name or "系统", kind=event.kind, detail=event.detail)
        for event, name in rows
        if event.kind != "attach_ready"
    )
    evidence = int(
        session.exec(
            select(func.count(col(Evidence.id))).where(
                Evidence.ticket_id == ticket.id, Evidence.status != "missing"
            )
        ).one()
    )
    pending = session.exec(
        select(TicketRequest.proposed_due).where(
            TicketRequest.ticket_id == ticket.id,
            TicketRequest.kind == "extension",
            TicketRequest.status == "pending",
        )
    ).first()
    return TicketStatus(
        ticket=info(session, ticket),
        history=history,
        evidence_count=evidence,
        after_count=after_photos(session, ticket),
        escalations=sum(1 for line in history if line.kind == "escalated"),
        pending_extension=pending,
    )


_CORRECTION = re.compile(
    r"^\s*(?P<key>地点|位置|地址|问题类型|类型|描述|情况|整改期限|期限)\s*[:：]?\s*(?P<value>\S.*)$",
    re.S,
)
_CORRECTABLE = {
    "地点": "location", "位置": "location", "地址": "location",
    "类型": "category", "问题类型": "category",
    "描述": "description", "情况": "description",
    "期限": "due_at", "整改期限": "due_at",
}  # fmt: skip


def correct(
    session: Session, runtime: Runtime, code: str, text: str, origin: Origin
) -> tuple[TicketInfo, str]:
    """更正: the reporter or the grid's staff fix one field of a live ticket (recorded)."""
    ticket = find(session, code)
    if not may(session, origin.actor.person_id, ticket, Access.VIEWER):
        raise NotAllowed(texts.NOT_ALLOWED_CORRECT.format(code=ticket.code))
    if ticket.status not in LIVE:
        status = texts.STATUS_NAMES[ticket.status]
        raise UserError(texts.CORRECT_NOT_LIVE.format(code=ticket.code, status=status))
    match = _CORRECTION.match(text)
    if match is None:
        raise UserError(texts.CORRECT_USAGE.format(code=ticket.code))
    key, value = match.group("key"), match.group("value").strip()
    field = _CORRECTABLE[key]
    limit = {"location": LOCATION_LIMIT, "description": DESCRIPTION_LIMIT}.get(field, NOTE_LIMIT)
    check_length(key, value, limit)
    old: object = getattr(ticket, field)
    new: object = value
    if field == "category":
        category = index_for(runtime.policy.categories).for_field(value)
        if category is None:
            names = "、".join(c.name for c in runtime.policy.categories)
            raise UserError(texts.REPORT_UNKNOWN_CATEGORY.format(given=value, choices=names))
        new = category.name
    elif field == "due_at":
        new = parse_deadline(value, origin.at, runtime.policy.tz)
        ticket.next_escalation_at = new
        ticket.escalation_base = ticket.escalation_step
    setattr(ticket, field, new)
    session.add(ticket)
    shown = {
        name: runtime.policy.format_time(v) if isinstance(v, datetime) else str(v)
        for name, v in (("old", old), ("new", new))
    }
    record(session, ticket, origin, "corrected", f"{key}：{shown['old']} → {shown['new']}")
    return info(session, ticket), f"{key}：{shown['new']}"
