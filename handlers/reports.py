"""上报: a report opens a ticket (or one per problem when a message reports several)."""

from __future__ import annotations

from dataclasses import replace

from bot.core.messages import Reply
from bot.services.tickets import drafts, ledger
from bot.services.tickets import texts as ticket_texts
from bot.services.tickets.ledger import TicketInfo
from bot.services.understanding.reports import (
    ParsedReport,
    missing_fields_reply,
    place_answer,
    read_reports,
)
from handlers.context import Context


def report(ctx: Context, parsed: list[ParsedReport]) -> list[Reply]:
    """【问题上报】类型：… 地点：… 描述：… — 登记工单并通知责任网格长。"""
    complete = [p for p in parsed if p.location is not None]
    if not complete:
        return [Reply(_ask(ctx, parsed[0]))]
    return _open(ctx, parsed, complete)


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


def _open(ctx: Context, parsed: list[ParsedReport], complete: list[ParsedReport]) -> list[Reply]:
    opened = [ledger.open_ticket(ctx.session, ctx.runtime, p, ctx.origin) for p in complete]
    heads = tuple(dict.fromkeys(i.head_id for i in opened if i.head_id))
    if len(opened) == 1:
        return [Reply(_one(ctx, opened[0]), mentions=heads)]
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
        lines.append(_ask(ctx, parsed[len(complete)]))
    return [Reply("\n".join(lines), mentions=heads)]


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


def _ask(ctx: Context, parsed: ParsedReport) -> str:
    """No place: ask for it (a bare 【上报】 with nothing in it gets the template)."""
    if parsed.category_text is None and not parsed.description:
        return missing_fields_reply(parsed)
    drafts.keep(ctx.session, ctx.origin, ctx.inbound.text)
    minutes = int(ctx.runtime.policy.evidence_window.total_seconds() // 60)
    return ticket_texts.ASK_LOCATION.format(minutes=minutes)
