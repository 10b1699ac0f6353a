"""发布预警 / 升级为 / 解除预警, and 收到 from each group's head."""

from __future__ import annotations

from bot.core.messages import Reply
from bot.services.alerts import issue
from bot.services.alerts.issue import Issued
from bot.services.tickets.states import Access
from bot.services.understanding.commands import Command
from handlers.context import Context
from handlers.router import Args, Router

router = Router("alerts")


def _replies(issued: Issued) -> list[Reply]:
    return [
        Reply(issued.reply),
        *(Reply(d.text, d.mentions, d.room_topic) for d in issued.drafts),
    ]


@router.command(
    "发布预警",
    args=Args.ALERT,
    access=Access.DISTRICT,
    example="发布预警 橙色 12月2日0时至12月4日24时 启动II级应急响应",
    phrases=("启动预警",),
)
def publish(ctx: Context, command: Command) -> list[Reply]:
    """向所有群发布重污染天气预警，各群网格长回复「收到」"""
    return _replies(issue.issue(ctx.session, ctx.runtime, command.note, ctx.origin))


@router.command(
    "升级为",
    "预警升级为",
    "预警调整为",
    "调整为",
    "降级为",
    "预警降级为",
    args=Args.COLOR,
    access=Access.DISTRICT,
    example="升级为红色",
)
def upgrade(ctx: Context, command: Command) -> list[Reply]:
    """把当前预警升级或调整颜色（各群重新确认）"""
    return _replies(issue.upgrade(ctx.session, ctx.runtime, command.note, ctx.origin))


@router.command(
    "解除预警", args=Args.NONE, access=Access.DISTRICT, example="解除预警", phrases=("预警解除",)
)
def lift(ctx: Context, command: Command) -> list[Reply]:
    """解除当前预警并通知所有群"""
    return _replies(issue.lift(ctx.session, ctx.runtime, ctx.origin))


def acknowledge(ctx: Context) -> list[Reply]:
    """收到 while an alert waits for this group: the head's receipt (else ordinary chat)."""
    issued = issue.acknowledge(ctx.session, ctx.runtime, ctx.origin)
    return _replies(issued) if issued is not None else []
