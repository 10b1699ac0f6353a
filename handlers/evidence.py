"""照片: photos and videos filed on a ticket as evidence (现场照片)."""

from __future__ import annotations

from bot.core.messages import Reply
from bot.services.evidence import filing
from bot.services.evidence import texts as evidence_texts
from bot.services.patrols import records
from bot.services.tickets import lifecycle
from bot.services.tickets.states import Access
from bot.services.understanding.commands import Command
from handlers.context import Context
from handlers.router import Router

router = Router("evidence")


@router.command(
    "照片",
    "补充照片",
    access=Access.VIEWER,
    example="照片 112201",
    phrases=("补照片", "补充现场照片", "现场照片", "补拍", "传照片"),
)
def attach(ctx: Context, command: Command) -> list[Reply]:
    """接下来 10 分钟内发送的照片归档到这张工单"""
    info = lifecycle.attach_ready(ctx.session, command.code or "", ctx.origin)
    minutes = int(ctx.runtime.policy.evidence_window.total_seconds() // 60)
    return [Reply(evidence_texts.ATTACH_READY.format(minutes=minutes, code=info.code))]


def photo(ctx: Context) -> list[Reply]:
    """A photo, video or file: claimed for the sender's current ticket, fetched after commit.

    No reply now: the acknowledgement (one per burst) follows once the bytes are saved. A
    photo that belongs to no ticket counts as the sender's patrol of the day (每日巡查).
    """
    if not filing.claim(ctx.session, ctx.runtime, ctx.inbound, ctx.origin.actor):
        records.photo(ctx.session, ctx.runtime, ctx.origin)  # no ticket: patrol evidence
    return []
