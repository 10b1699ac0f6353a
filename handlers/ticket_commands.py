"""受理 / 办结 / 销号 / 查询: what grid staff do to a ticket by command."""

from __future__ import annotations

from bot.core import texts
from bot.core.messages import Reply
from bot.services.tickets import lifecycle as ticket_commands
from bot.services.understanding.reports import Command
from handlers.context import Context

USAGE = {
    "accept": "受理 工单编号，例如：受理 112201",
    "resolve": "办结 工单编号 处置情况，例如：办结 112201 已拆除燃煤炉",
    "close": "销号 工单编号，例如：销号 112201",
    "query": "查询 工单编号，例如：查询 112201",
    "attach": "照片 工单编号，然后发送照片，例如：照片 112201",
}


def usage(command: Command) -> list[Reply]:
    return [Reply(texts.COMMAND_USAGE.format(usage=USAGE[command.verb]))]


def accept(ctx: Context, command: Command) -> list[Reply]:
    """受理 <编号>：确认收到并开始处置。"""
    info = ticket_commands.accept(ctx.session, command.code or "", ctx.origin)
    due = ctx.services.policy.format_time(info.due_at)
    return [Reply(texts.ACCEPTED.format(code=info.code, who=ctx.origin.actor.name, due=due))]


def resolve(ctx: Context, command: Command) -> list[Reply]:
    """办结 <编号> <处置情况>：报告已处置完毕，等待上级核查销号。"""
    info = ticket_commands.resolve(ctx.session, command.code or "", command.note, ctx.origin)
    return [
        Reply(
            texts.RESOLVED.format(
                code=info.code, who=ctx.origin.actor.name, note=command.note.strip()
            )
        )
    ]


def close(ctx: Context, command: Command) -> list[Reply]:
    """销号 <编号>：上级网格长核查后销号。"""
    info = ticket_commands.close(ctx.session, command.code or "", ctx.origin)
    return [Reply(texts.CLOSED.format(code=info.code, who=ctx.origin.actor.name))]


def query(ctx: Context, command: Command) -> list[Reply]:
    """查询 <编号>：查看工单状态和处置记录。"""
    status = ticket_commands.query(ctx.session, command.code or "", ctx.origin)
    policy = ctx.services.policy
    t = status.ticket
    lines = [
        texts.QUERY_HEADER.format(code=t.code, status=texts.STATUS_NAMES[t.status]),
        texts.QUERY_BODY.format(
            category=t.category,
            location=t.location,
            description=t.description or "（无）",
            grid=t.grid_name,
            head=t.head_name or texts.NO_HEAD,
            due=policy.format_time(t.due_at),
        ),
    ]
    if status.evidence_count:
        lines.append(texts.QUERY_EVIDENCE.format(count=status.evidence_count))
    lines.append(texts.QUERY_HISTORY_TITLE)
    for h in status.history:
        label = texts.EVENT_NAMES.get(h.kind, h.kind)
        detail = f"：{h.detail}" if h.detail and h.kind != "reported" else ""
        lines.append(f"· {policy.format_time(h.at)} {h.who} {label}{detail}")
    return [Reply("\n".join(lines))]


def attach(ctx: Context, command: Command) -> list[Reply]:
    """照片 <编号>：接下来发送的照片/视频归档到这张工单。"""
    info = ticket_commands.attach_ready(ctx.session, command.code or "", ctx.origin)
    minutes = int(ctx.services.policy.evidence_window.total_seconds() // 60)
    return [Reply(texts.ATTACH_READY.format(minutes=minutes, code=info.code))]
