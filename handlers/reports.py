"""上报: a report opens a ticket (or one per problem when a message reports several)."""

from __future__ import annotations

import re
from dataclasses import replace

from sqlmodel import Session

from bot.core.messages import Inbound, Reply
from bot.services.intake.inbound import Along
from bot.services.roster import lookup
from bot.services.runtime import Runtime
from bot.services.tickets import drafts, duplicates, ledger
from bot.services.tickets import texts as ticket_texts
from bot.services.tickets.ledger import TicketInfo
from bot.services.tickets.notices import lead_above
from bot.services.tickets.states import Access
from bot.services.understanding.commands import Command
from bot.services.understanding.reader import body_of
from bot.services.understanding.reports import (
    ParsedReport,
    missing_fields_reply,
    place_answer,
    read_reports,
)
from bot.services.understanding.texts import REPORT_TEMPLATE
from handlers.context import Context
from handlers.replies import merged, said
from handlers.router import Args, Router

router = Router("reports")


def report(ctx: Context, parsed: list[ParsedReport], text: str | None = None) -> list[Reply]:
    """【问题上报】类型：… 地点：… 描述：… — 登记工单并通知责任网格长。"""
    complete = [p for p in parsed if p.location is not None]
    if not complete:
        return [Reply(_ask(ctx, parsed[0], text))]
    return _open(ctx, parsed, complete)


def in_passing(ctx: Context, passing: list[ParsedReport], body: str) -> list[Reply]:
    """A problem told without 上报 (「东关街17号院有一户在烧煤炉子，烟很大」): ask once whether
    to file it; 「上报」 within the window files it. Told again before that answer, it is
    kept with the first and not asked about twice."""
    window = ctx.runtime.policy.evidence_window
    body = _LEADING_AT.sub("", body)  # 「@马建国 东关街38号饭店油烟直排」: the place starts after
    told = drafts.waiting(ctx.session, ctx.origin, window, drafts.PASSING)
    if told is not None:
        known = read_reports(told, ctx.runtime.policy.categories) or []
        if any(not _told_before(p, known) for p in passing):  # another problem: kept with it
            drafts.append(ctx.session, ctx.origin, _FILED + body, window, drafts.PASSING)
        return []  # asked already (the same problem told again is not kept twice)
    drafts.keep(ctx.session, ctx.origin, _FILED + body, drafts.PASSING)
    items = ticket_texts.PASSING_SEPARATOR.join(
        ticket_texts.PASSING_ITEM.format(
            category=p.category.name if p.category else p.category_text,
            location=p.location or ticket_texts.PASSING_NO_PLACE,
        )
        for p in passing
    )
    minutes = int(window.total_seconds() // 60)
    text = ticket_texts.PASSING_ASK.format(items=items, minutes=minutes)
    return [Reply(text, mentions=(ctx.origin.actor.person_id,))]  # the teller answers


def _told_before(problem: ParsedReport, known: list[ParsedReport]) -> bool:
    """The same problem as one told a moment ago: its category, at the same place (another
    place is another problem: 「3号楼锅炉房」 after 「东关社区锅炉房」)."""
    return any(
        k.category == problem.category and duplicates.told_again(k.location, problem.location)
        for k in known
    )


_LEADING_AT = re.compile(r"^\s*(?:@\S+\s*)+")
_REPORT_ALONE = re.compile(r"(?:@\S+\s*)*上报(?:一下)?[!！。.~\s]*")
# How a problem told in passing is kept: as a report, one 【上报】 per message.
_FILED = "【上报】"


def file_passing(ctx: Context) -> list[Reply]:
    """「上报」 after the bot asked about a problem told in passing: file it (else chat)."""
    window = ctx.runtime.policy.evidence_window
    kept = drafts.take(ctx.session, ctx.origin, window, drafts.PASSING)
    teller = _told_by_member(ctx) if kept is None else None
    if teller is not None:
        ctx, kept = teller  # a head's 「上报」 files what their member told
    parsed = read_reports(kept, ctx.runtime.policy.categories) if kept else None
    if not parsed or kept is None:
        # 「上报」 alone, nothing asked about: how to write a report (请上报, 登记 are chat)
        if _REPORT_ALONE.fullmatch(body_of(ctx.inbound.text).strip()) is None:
            return []
        return [Reply(ticket_texts.HOW_TO_REPORT.format(template=REPORT_TEMPLATE))]
    replies = report(ctx, parsed, kept)
    if teller is not None:  # a place still missing is the teller's to give: they are asked
        teller_id = ctx.origin.actor.person_id
        replies = [
            r if r.mentions or r.room_topic else replace(r, mentions=(teller_id,)) for r in replies
        ]
    return replies


def _told_by_member(ctx: Context) -> tuple[Context, str] | None:
    """A head answering 「上报」 to the question the bot asked one member of the group: that
    member's problem, filed as theirs, when the sender leads the member's grid or the
    group's (or a grid above either). None when no one (or more than one) waits."""
    session, sender = ctx.session, ctx.origin.actor.person_id
    room = lookup.room_for_topic(session, ctx.origin.room_topic or "")
    if room is None:
        return None

    def leads(grid_id: int | None) -> bool:
        roles = lookup.roles_over(session, sender, grid_id) if grid_id is not None else []
        return any(role in lookup.LEAD_ROLES for role, _ in roles)

    def may(teller: int) -> bool:
        home = lookup.home_grid(session, teller)
        return leads(home.id if home is not None else None) or leads(room.grid_id)

    window = ctx.runtime.policy.evidence_window
    taken = drafts.take_for(session, ctx.origin, window, drafts.PASSING, may)
    if taken is None:
        return None
    actor, text = taken
    return replace(ctx, origin=replace(ctx.origin, actor=actor)), text


def along(
    session: Session, runtime: Runtime, inbound: Inbound, parsed: list[ParsedReport]
) -> Along | None:
    """The first complete report's duplicate check, read with the message's claim."""
    complete = next((p for p in parsed if p.location is not None), None)
    if complete is None:
        return None
    return duplicates.candidates_along(session, runtime, inbound.sender_id, complete, inbound.at)


def place_given(ctx: Context, place: str) -> list[Reply]:
    """A place sent right after the bot asked for one completes the waiting report."""
    window = ctx.runtime.policy.evidence_window
    waiting = drafts.take(ctx.session, ctx.origin, window)
    if waiting is None:
        return []  # ordinary chat that happens to name a place
    parsed = read_reports(waiting, ctx.runtime.policy.categories) or []
    place = place_answer(place)
    filled = [replace(p, location=p.location or place) for p in parsed]
    if not filled:
        return []
    return _open(ctx, filled, filled)


@router.command("新问题", args=Args.NONE, access=Access.ANYONE, example="新问题")
def new_problem(ctx: Context, command: Command) -> list[Reply]:
    """刚才被当作重复上报的，确是另一个问题时，单独登记"""
    window = ctx.runtime.policy.duplicate_window
    kept = drafts.take(ctx.session, ctx.origin, window, drafts.DUPLICATE)
    parsed = read_reports(kept, ctx.runtime.policy.categories) if kept else None
    if not parsed:
        return [Reply(ticket_texts.NO_DUPLICATE_WAITING)]
    return _open(ctx, parsed, parsed, allow_duplicate=True)


def _open(
    ctx: Context,
    parsed: list[ParsedReport],
    complete: list[ParsedReport],
    *,
    allow_duplicate: bool = False,
) -> list[Reply]:
    results = [
        (
            p,
            ledger.open_ticket(
                ctx.session, ctx.runtime, p, ctx.origin, allow_duplicate=allow_duplicate
            ),
        )
        for p in complete
    ]
    repeated = [(p, i) for p, i in results if i.duplicate]
    opened = [i for _, i in results if not i.duplicate]
    replies = [_duplicate(ctx, p, i) for p, i in repeated[-1:]]
    if not opened:
        return replies
    return [*_opened(ctx, parsed, complete, opened), *replies]


def _duplicate(ctx: Context, report: ParsedReport, info: TicketInfo) -> Reply:
    """Tell the sender which ticket it repeats; keep the report for 「新问题」."""
    kept = "#上报\n" + "\n".join(
        f"{key}：{value}"
        for key, value in (
            ("类型", report.category.name if report.category else report.category_text),
            ("地点", report.location),
            ("描述", report.description),
            ("期限", report.deadline_text),
            ("网格", info.grid_code),  # the grid it was filed for, not the sender's own
        )
        if value
    )
    drafts.keep(ctx.session, ctx.origin, kept, drafts.DUPLICATE)
    text = ticket_texts.DUPLICATE.format(
        code=info.code,
        status=ticket_texts.STATUS_NAMES.get(info.status, info.status),
        grid=info.grid_name,
        at=ctx.runtime.policy.format_time(info.created_at or ctx.origin.at),
    )
    return said(ctx, info, text)


def _opened(
    ctx: Context,
    parsed: list[ParsedReport],
    complete: list[ParsedReport],
    opened: list[TicketInfo],
) -> list[Reply]:
    here = ctx.inbound.chat.room_topic
    heads = tuple(dict.fromkeys(i.head_id for i in opened if i.head_id and i.room_topic == here))
    told = _told_elsewhere(ctx, opened)
    if len(opened) == 1:
        one = _one(ctx, opened[0])
        if len(complete) < len(parsed):  # the problem without a place is asked about too
            one += "\n" + _ask_one_of(ctx, parsed)
        return merged([Reply(one, mentions=heads), *told])
    lines = [ticket_texts.TICKETS_OPENED.format(count=len(opened))]
    for info in opened:
        lines.append(
            ticket_texts.TICKET_LINE.format(
                code=info.code,
                category=info.category,
                location=info.location,
                grid=info.grid_name,
                head=info.head_name or ticket_texts.NO_HEAD,
                due=ctx.runtime.policy.format_time(info.due_at),
            )
        )
        lines.extend(info.notes)
    if len(complete) < len(parsed):
        lines.append(_ask_one_of(ctx, parsed))
    return merged([Reply("\n".join(lines), mentions=heads), *told])


def _told_elsewhere(ctx: Context, opened: list[TicketInfo]) -> list[Reply]:
    """Who must act but does not read this chat is told in their group: the grid's head when
    the report came in a private chat or another group; the nearest head above, at once,
    when the grid has none (else nobody would hear of it before the deadline)."""
    here = ctx.inbound.chat.room_topic
    where = here or ticket_texts.WHERE_PRIVATE
    told: list[Reply] = []
    for info in opened:
        if info.head_id is None:
            lead = lead_above(ctx.session, info.grid_id)
            if lead is None or lead.person is None:
                continue
            notice = lead.notice(
                ticket_texts.NO_HEAD_NOTICE.format(
                    code=info.code,
                    category=info.category,
                    location=info.location,
                    grid=info.grid_name,
                )
            )
            room = None if notice.room_topic == here else notice.room_topic  # asked right here
            told.append(Reply(notice.text, notice.mentions, room))
        elif info.room_topic is not None and info.room_topic != here:
            text = ticket_texts.TICKET_FORWARDED.format(who=ctx.origin.actor.name, where=where)
            told.append(Reply(text + _one(ctx, info), (info.head_id,), info.room_topic))
    return told


def _one(ctx: Context, info: TicketInfo) -> str:
    text = ticket_texts.TICKET_OPENED.format(
        code=info.code,
        category=info.category,
        location=info.location,
        grid=info.grid_name,
        head=info.head_name or ticket_texts.NO_HEAD_ASK_ADMIN,
        due=ctx.runtime.policy.format_time(info.due_at),
    )
    if info.notes:
        text += "\n" + "\n".join((*info.notes, ticket_texts.CORRECT_HINT.format(code=info.code)))
    return text


def _ask_one_of(ctx: Context, parsed: list[ParsedReport]) -> str:
    """Of several problems filed, the first without a place: asked for, and kept alone (the
    place given completes it, not the others again)."""
    missing = next(p for p in parsed if p.location is None)
    fields = (("类型", missing.category.name if missing.category else missing.category_text),
              ("描述", missing.description), ("期限", missing.deadline_text),
              ("网格", missing.grid_text))  # fmt: skip
    kept = "#上报\n" + "\n".join(f"{key}：{value}" for key, value in fields if value)
    return _ask(ctx, missing, kept)


def _ask(ctx: Context, parsed: ParsedReport, text: str | None) -> str:
    """No place: ask for it (a bare 【上报】 with nothing in it gets the template). `text`:
    the report to complete, when it is not the message itself."""
    if parsed.category_text is None and not parsed.description:
        return missing_fields_reply(parsed)
    drafts.keep(ctx.session, ctx.origin, text or ctx.inbound.text)
    minutes = int(ctx.runtime.policy.evidence_window.total_seconds() // 60)
    return ticket_texts.ASK_LOCATION.format(minutes=minutes)
