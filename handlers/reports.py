"""上报: a structured report opens a ticket."""

from __future__ import annotations

from bot.core.messages import Reply
from bot.services.tickets import ledger
from bot.services.tickets import texts as ticket_texts
from bot.services.understanding.reports import (
    ParsedReport,
    missing_fields_reply,
    unknown_category_reply,
)
from handlers.context import Context


def report(ctx: Context, parsed: ParsedReport) -> list[Reply]:
    """【问题上报】类型：… 地点：… 描述：… — 登记工单并通知责任网格长。"""
    if parsed.missing:
        return [Reply(missing_fields_reply(parsed))]
    if parsed.category is None:
        return [Reply(unknown_category_reply(parsed, ctx.runtime.policy.categories))]
    info = ledger.open_ticket(ctx.session, ctx.runtime, parsed, ctx.origin)
    text = ticket_texts.TICKET_OPENED.format(
        code=info.code,
        category=info.category,
        location=info.location,
        grid=info.grid_name,
        head=info.head_name or ticket_texts.NO_HEAD_ASK_ADMIN,
        due=ctx.runtime.policy.format_time(info.due_at),
    )
    return [Reply(text, mentions=(info.head_id,) if info.head_id else ())]
