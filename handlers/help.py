"""帮助: what the bot understands, derived from the command declarations."""

from __future__ import annotations

from bot.core.messages import Reply
from bot.services.tickets import lifecycle
from bot.services.tickets.states import Access
from bot.services.understanding.commands import Command
from handlers.context import Context
from handlers.router import Args, Router, help_text

router = Router("help")


@router.command(
    "帮助",
    "使用说明",
    "怎么用",
    "怎么上报",
    "有哪些命令",
    args=Args.NONE,
    access=Access.ANYONE,
    example="帮助",
)
def show_help(ctx: Context, command: Command) -> list[Reply]:
    """查看上报格式和您可以用的命令（@机器人 也可以）"""
    reach = lifecycle.reach_of(ctx.session, ctx.origin.actor.person_id)
    return [Reply(help_text(ctx.router, reach))]
