"""受理 / 办结 / 销号 / 查询: what grid staff do to a ticket by command."""

from __future__ import annotations

from datetime import timedelta

from bot.core.messages import Reply
from bot.services.runtime import format_duration
from bot.services.tickets import drafts, lifecycle, routing
from bot.services.tickets import texts as ticket_texts
from bot.services.tickets.notices import Notice, Outcome
from bot.services.tickets.states import LIVE, Access, Status
from bot.services.understanding.commands import Command
from handlers.context import Context
from handlers.replies import outcome_replies, said
from handlers.router import Args, Router

router = Router("tickets")


@router.command(
    "受理",
    access=Access.STAFF,
    example="受理 112201",
    phrases=(
        "已受理",
        "接单",
        "签收",
        "收到",
        "正在处理",
        "处理中",
        "马上处理",
        "立即处理",
        "我来处理",
        "马上去",
        "这就去",
    ),
)
def accept(ctx: Context, command: Command) -> list[Reply]:
    """确认收到并开始处置"""
    info = lifecycle.accept(ctx.session, command.code or "", ctx.origin)
    due = ctx.runtime.policy.format_time(info.due_at)
    now = ctx.runtime.clock.now()
    if info.due_at < now:  # accepted late: the deadline has passed, say so and how to ask
        text = ticket_texts.ACCEPTED_LATE.format(
            code=info.code,
            who=ctx.origin.actor.name,
            due=due,
            late=format_duration(now - info.due_at),
        )
    else:
        text = ticket_texts.ACCEPTED.format(code=info.code, who=ctx.origin.actor.name, due=due)
    return [said(ctx, info, text)]


@router.command(
    "办结",
    args=Args.CODE_TEXT,
    access=Access.STAFF,
    example="办结 112201 已拆除燃煤炉",
    phrases=(
        "已办结",
        "已处理完毕",
        "已处理",
        "处理完毕",
        "处理好了",
        "处理完了",
        "已整改",
        "整改完毕",
        "整改完成",
        "已完成整改",
        "已经处理",
        "已经处理完了",
        "已经处理好了",
        "已经处理了",
        "已清理",
        "已拆除",
        "已完成",
        "完成",
        "已解决",
        "办好了",
        "已办好",
        "弄好了",
        "已弄好",
        "搞定",
        "已处置",
        "处置完毕",
        "处置完成",
        "处置好了",
        "整改到位",
        "已整改到位",
        "清理完毕",
        "已取缔",
        "已制止",
        "整改好了",
        "办完了",
        "已经拆了",
        "已拆了",
        "已经拆除",
        "已经整改",
        "已经清理",
        "已经处理完毕",
        "已经取缔",
        "已收缴",
        "完事了",
        "弄完了",
    ),
)
def resolve(ctx: Context, command: Command) -> list[Reply]:
    """报告处置完毕，停止超期提醒"""
    outcome = lifecycle.resolve(
        ctx.session, ctx.runtime, command.code or "", command.note, ctx.origin
    )
    return outcome_replies(ctx, outcome)


@router.command(
    "核查通过",
    "销号",
    args=Args.CODE_NOTE,
    access=Access.VERIFIER,
    example="核查通过 112201",
    phrases=(
        "同意销号",
        "已核查",
        "验收通过",
        "复核通过",
        "核查合格",
        "合格",
        "通过",
        # 「经核查整改到位」 is the verifier's word, not the resolver's 「整改到位」
        "核查整改到位",
        "核查已整改到位",
        "核查已整改",
        "复查整改到位",
    ),
)
def close(ctx: Context, command: Command) -> list[Reply]:
    """核查合格，销号结案"""
    info = lifecycle.close(ctx.session, ctx.runtime, command.code or "", ctx.origin)
    text = ticket_texts.CLOSED.format(code=info.code, who=ctx.origin.actor.name)
    # The head is pinged in his grid's group, which may not be the verifier's.
    pinged = (Notice(text, info.room_topic, (info.head_id,)),) if info.head_id else ()
    return outcome_replies(ctx, Outcome(info, text, pinged))


@router.command(
    "更正",
    "修改",
    args=Args.CODE_FIELD,
    access=Access.VIEWER,
    example="更正 112201 地点：东关街12号院门口",
)
def correct(ctx: Context, command: Command) -> list[Reply]:
    """改正工单的地点、类型、描述或期限"""
    info, change = lifecycle.correct(
        ctx.session, ctx.runtime, command.code or "", command.note, ctx.origin
    )
    text = ticket_texts.CORRECTED.format(code=info.code, who=ctx.origin.actor.name, change=change)
    return [said(ctx, info, text)]


@router.command(
    "查询",
    access=Access.VIEWER,
    example="查询 112201",
    phrases=(
        "查一下",
        "查下",
        "查看",
        "查查",
        "查一查",
        "进度",
        "什么状态",
        "怎么样了",
        "什么情况",
        "啥情况",
        "情况如何",
        "进展",
        "咋样了",
        "咋样",
        "怎样了",
        "如何了",
        "到哪了",
        "到哪一步了",
    ),
)
def query(ctx: Context, command: Command) -> list[Reply]:
    """查看状态、超期、延期、返工和处置记录"""
    status = lifecycle.query(ctx.session, command.code or "", ctx.origin)
    policy = ctx.runtime.policy
    t = status.ticket
    now = ctx.runtime.clock.now()
    header = ticket_texts.QUERY_HEADER.format(
        code=t.code, status=ticket_texts.STATUS_NAMES[t.status]
    )
    if t.status in LIVE and t.due_at < now:
        header += "，" + ticket_texts.QUERY_OVERDUE.format(overdue=format_duration(now - t.due_at))
    lines = [
        header,
        ticket_texts.QUERY_BODY.format(
            category=t.category,
            location=t.location,
            description=t.description or "（无）",
            grid=t.grid_name,
            head=t.head_name or ticket_texts.NO_HEAD,
            due=policy.format_time(t.due_at),
        ),
        ticket_texts.QUERY_FLAGS.format(
            source=ticket_texts.SOURCE_NAMES.get(t.source, t.source),
            escalations=status.escalations,
            extensions=t.extensions,
            reworks=t.reworks,
        ),
    ]
    if status.pending_extension is not None:
        due = policy.format_time(status.pending_extension)
        lines.append(ticket_texts.QUERY_PENDING_EXTENSION.format(due=due))
    if t.status == Status.APPEALED:
        lines.append(ticket_texts.QUERY_PENDING_APPEAL)
    if status.evidence_count:
        lines.append(
            ticket_texts.QUERY_EVIDENCE_AFTER.format(
                before=status.evidence_count - status.after_count, after=status.after_count
            )
        )
    lines.append(ticket_texts.QUERY_HISTORY_TITLE)
    for h in status.history:
        label = ticket_texts.EVENT_NAMES.get(h.kind, h.kind)
        detail = f"：{h.detail}" if h.detail and h.kind != "reported" else ""
        lines.append(f"· {policy.format_time(h.at)} {h.who} {label}{detail}")
    return [said(ctx, t, "\n".join(lines))]


def unclear(ctx: Context, code: str) -> list[Reply]:
    """A ticket's code with words no command was read from: what can be done with it, if the
    ticket exists and the sender may see it (else it is chat: a number in passing)."""
    ticket = routing.find_or_none(ctx.session, code)
    if ticket is None or not lifecycle.may(
        ctx.session, ctx.origin.actor.person_id, ticket, Access.VIEWER
    ):
        return []
    # Once a day per person, ticket and group: talk about a ticket is not asked about again.
    kind = f"hint:{ticket.code}"
    if drafts.waiting(ctx.session, ctx.origin, HINT_AGAIN_AFTER, kind) is not None:
        return []
    drafts.keep(ctx.session, ctx.origin, ticket.code, kind)
    status = ticket_texts.STATUS_NAMES.get(ticket.status, ticket.status)
    return [Reply(ticket_texts.UNCLEAR_CODE.format(code=ticket.code, status=status))]


HINT_AGAIN_AFTER = timedelta(hours=20)
