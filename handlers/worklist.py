"""待办 / 超期 / 统计: what waits for me and how my grids are doing, in a group or privately."""

from __future__ import annotations

from bot.core.messages import Reply
from bot.services.reports import sweep as report_sweep
from bot.services.reports.periodic import MONTHLY, WEEKLY
from bot.services.tickets import worklist
from bot.services.tickets.states import Access
from bot.services.understanding.commands import Command
from handlers.context import Context
from handlers.router import Args, Router

router = Router("worklist")


@router.command(
    "待办",
    args=Args.NONE,
    access=Access.ANYONE,
    example="待办",
    phrases=(
        "我的待办",
        "待办事项",
        "待办工单",
        "我的待办工单",
        "我的工单",
        "查看待办",
        "我的任务",
        "看下我的待办",
        "看看我的待办",
        "看看待办",
        "看看我的工单",
        "查一下我的工单",
        "查下我的工单",
        "我的工单有哪些",
        "我有哪些工单",
        "我的待办有哪些",
    ),
)
def todo(ctx: Context, command: Command) -> list[Reply]:
    """我负责的工单、待我核查、待我审批的延期和申诉"""
    actor = ctx.origin.actor
    return [Reply(worklist.todo(ctx.session, ctx.runtime, actor.person_id, actor.name))]


@router.command(
    "超期",
    args=Args.NONE,
    access=Access.ANYONE,
    example="超期",
    phrases=(
        "超期工单",
        "超期清单",
        "超期列表",
        "有哪些超期工单",
        "有哪些超期",
        "看看超期的",
        "看看超期",
        "超期的有哪些",
        "查一下超期",
    ),
)
def overdue(ctx: Context, command: Command) -> list[Reply]:
    """本网格及下级的超期工单（前10件和总数）"""
    return [Reply(worklist.overdue(ctx.session, ctx.runtime, ctx.origin.actor.person_id))]


@router.command(
    "统计",
    args=Args.PERIOD,
    access=Access.ANYONE,
    example="统计 本月",
    phrases=(
        "本周统计",
        "这周统计",
        "本月统计",
        "这个月统计",
        "上周统计",
        "上月统计",
        "统计一下",
        "统计下",
        "本周统计一下",
        "这周统计一下",
        "本月统计一下",
        "这个月统计一下",
    ),
    slow=True,
)
def stats(ctx: Context, command: Command) -> list[Reply]:
    """本网格及各下级网格的新增、办结、销号、超期和按期率"""
    said = command.note or command.word.removesuffix("一下").removesuffix("统计")  # 「本月统计」
    said = said.removesuffix("一下").removesuffix("下")
    period = {"这周": "本周", "这个月": "本月"}.get(said, said)
    return [Reply(worklist.stats(ctx.session, ctx.runtime, ctx.origin.actor.person_id, period))]


@router.command(
    "周报",
    args=Args.NONE,
    access=Access.HEAD,
    example="周报",
    phrases=("本周周报", "周报发一下", "本周周报发一下", "发一下周报", "发周报", "看看周报"),
    slow=True,
)
def weekly(ctx: Context, command: Command) -> list[Reply]:
    """本网格及下级近7天的周报（含图表）"""
    return _report(ctx, WEEKLY)


@router.command(
    "月报",
    args=Args.NONE,
    access=Access.HEAD,
    example="月报",
    phrases=("本月月报", "月报发一下", "本月月报发一下", "发一下月报", "发月报", "看看月报"),
    slow=True,
)
def monthly(ctx: Context, command: Command) -> list[Reply]:
    """本网格及下级本月至今的月报（含图表）"""
    return _report(ctx, MONTHLY)


def _report(ctx: Context, kind: str) -> list[Reply]:
    parts = report_sweep.on_demand(ctx.session, ctx.runtime, ctx.origin.actor.person_id, kind)
    return [Reply(text, attachment=attachment) for text, attachment in parts]
