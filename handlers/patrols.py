"""巡查打卡 / 今日巡查无异常 / 会议纪要: the day's patrol and the meetings, on the record."""

from __future__ import annotations

from bot.core.messages import Reply
from bot.services.patrols import records
from bot.services.tickets.states import Access
from bot.services.understanding.commands import Command
from handlers.context import Context
from handlers.router import Args, Router

router = Router("patrols")


@router.command(
    "巡查打卡",
    "打卡",
    args=Args.NOTE,
    access=Access.ANYONE,
    example="巡查打卡 东关街沿线已巡查",
    phrases=("巡查签到",),
)
def check_in(ctx: Context, command: Command) -> list[Reply]:
    """记录今天本网格的巡查（可写情况，也可发照片）"""
    return [Reply(records.check_in(ctx.session, ctx.runtime, ctx.origin, command.note))]


@router.command(
    "今日巡查无异常",
    args=Args.NONE,
    access=Access.ANYONE,
    example="今日巡查无异常",
    phrases=("巡查无异常", "今天巡查无异常", "今日无异常", "零报告", "今日零报告"),
)
def zero_report(ctx: Context, command: Command) -> list[Reply]:
    """零报告：今天巡查未发现问题"""
    return [Reply(records.zero_report(ctx.session, ctx.runtime, ctx.origin))]


@router.command("会议纪要", args=Args.TEXT, access=Access.ANYONE, example="会议纪要 研究散煤整治")
def minutes(ctx: Context, command: Command) -> list[Reply]:
    """记录本级会议已召开及内容（可附照片）"""
    return [Reply(records.minutes(ctx.session, ctx.runtime, ctx.origin, command.note))]
