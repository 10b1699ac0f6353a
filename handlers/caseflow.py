"""The case flow beyond 受理/办结: 交办, 上报上级, 转办, 退回, 延期, 申诉, 督办.

Each handler calls one service and turns its `Outcome` into replies: the answer here, and a
message with a real mention in the group of whoever must act next.
"""

from __future__ import annotations

from bot.core.messages import Reply
from bot.services.tickets import lifecycle, requests, routing, supervision
from bot.services.tickets.states import Access
from bot.services.understanding.commands import Command
from handlers.context import Context
from handlers.replies import outcome_replies
from handlers.router import Args, Router

router = Router("caseflow")


@router.command(
    "交办",
    "下派",
    args=Args.ASSIGN,
    access=Access.VERIFIER,
    example="交办 一村二片 散煤 二片5号楼 居民烧煤取暖 2天",
)
def assign(ctx: Context, command: Command) -> list[Reply]:
    """上级向下级网格交办任务，或把已有工单下派"""
    outcome = routing.assign(ctx.session, ctx.runtime, command.code, command.note, ctx.origin)
    return outcome_replies(ctx, outcome)


@router.command(
    "上报上级",
    args=Args.CODE_REASON,
    access=Access.OWN,
    example="上报上级 112201 涉及企业，本级无法处置",
    leading_only=True,
)
def hand_up(ctx: Context, command: Command) -> list[Reply]:
    """本级处置不了，交上一级网格负责"""
    outcome = routing.hand_up(
        ctx.session, ctx.runtime, command.code or "", command.note, ctx.origin
    )
    return outcome_replies(ctx, outcome)


@router.command(
    "转办",
    args=Args.CODE_GRID,
    access=Access.HEAD,
    example="转办 112201 二村 地点属于二村",
)
def transfer(ctx: Context, command: Command) -> list[Reply]:
    """把工单转给正确的网格（共同上级或管理员）"""
    outcome = routing.transfer(
        ctx.session, ctx.runtime, command.code or "", command.note, ctx.origin
    )
    return outcome_replies(ctx, outcome)


@router.command(
    "退回",
    "退回返工",
    args=Args.CODE_REASON_DEADLINE,
    access=Access.VERIFIER,
    example="退回 112201 煤炉未拆除 2天",
    phrases=(
        "核查不通过",
        "核查未通过",
        "不合格",
        "不通过",
        "未通过",
        "没通过",
        "整改不到位",
    ),
)
def send_back(ctx: Context, command: Command) -> list[Reply]:
    """核查不合格，退回返工并给新期限"""
    outcome = lifecycle.send_back(
        ctx.session, ctx.runtime, command.code or "", command.note, ctx.origin
    )
    return outcome_replies(ctx, outcome)


@router.command(
    "延期",
    "申请延期",
    "需要延期",
    "要求延期",
    "请求延期",
    args=Args.CODE_TIME,
    access=Access.OWN,
    example="延期 112201 3天 设备到货晚",
)
def extend(ctx: Context, command: Command) -> list[Reply]:
    """申请延长整改期限，由上级网格长审批"""
    outcome = requests.ask_extension(
        ctx.session, ctx.runtime, command.code or "", command.note, ctx.origin
    )
    return outcome_replies(ctx, outcome)


@router.command(
    "同意延期",
    args=Args.CODE_NOTE,
    access=Access.VERIFIER,
    example="同意延期 112201",
    phrases=("批准延期", "准予延期"),
    decisions=("延期同意", "延期批准"),
)
def grant_extension(ctx: Context, command: Command) -> list[Reply]:
    """批准延期申请"""
    outcome = requests.decide_extension(
        ctx.session, ctx.runtime, command.code or "", True, command.note, ctx.origin
    )
    return outcome_replies(ctx, outcome)


@router.command(
    "不同意延期",
    args=Args.CODE_REASON,
    access=Access.VERIFIER,
    example="不同意延期 112201 可以按期完成",
    phrases=("不批准延期", "驳回延期"),
    decisions=("延期不同意", "延期驳回", "延期不批准"),
)
def refuse_extension(ctx: Context, command: Command) -> list[Reply]:
    """不批准延期申请"""
    outcome = requests.decide_extension(
        ctx.session, ctx.runtime, command.code or "", False, command.note, ctx.origin
    )
    return outcome_replies(ctx, outcome)


@router.command(
    "审批同意",
    args=Args.CODE_NOTE,
    access=Access.VERIFIER,
    example="同意 112201",
    phrases=("同意", "批准", "准予"),
)
def grant_pending(ctx: Context, command: Command) -> list[Reply]:
    """同意待审批的延期或申诉"""
    return _decide_pending(ctx, command, yes=True)


@router.command(
    "审批不同意",
    args=Args.CODE_REASON,
    access=Access.VERIFIER,
    example="不同意 112201 可以按期完成",
    phrases=("不同意", "不批准", "驳回"),
)
def refuse_pending(ctx: Context, command: Command) -> list[Reply]:
    """不同意待审批的延期或申诉（需写明原因）"""
    return _decide_pending(ctx, command, yes=False)


def _decide_pending(ctx: Context, command: Command, *, yes: bool) -> list[Reply]:
    # The note as written: a bare 「同意 112201」 has none (the phrase is no reason).
    note = "" if command.note == command.word else command.note
    outcome = requests.decide_pending(
        ctx.session, ctx.runtime, command.code or "", yes, note, ctx.origin
    )
    return outcome_replies(ctx, outcome)


@router.command(
    "申诉",
    "申述",  # as often typed
    args=Args.CODE_REASON,
    access=Access.OWN,
    example="申诉 112201 不属于本网格",
    leading_only=True,
)
def appeal(ctx: Context, command: Command) -> list[Reply]:
    """对问题有异议，申请区、镇级裁定（期间暂停超期提醒）"""
    outcome = requests.appeal(
        ctx.session, ctx.runtime, command.code or "", command.note, ctx.origin
    )
    return outcome_replies(ctx, outcome)


@router.command(
    "申诉通过",
    args=Args.CODE_NOTE,
    access=Access.LEADER,
    example="申诉通过 112201",
    phrases=("同意申诉",),
    decisions=("申诉成立", "申诉有效"),
)
def uphold_appeal(ctx: Context, command: Command) -> list[Reply]:
    """申诉成立，按不予处置结案"""
    outcome = requests.decide_appeal(
        ctx.session, ctx.runtime, command.code or "", True, command.note, ctx.origin
    )
    return outcome_replies(ctx, outcome)


@router.command(
    "驳回申诉",
    args=Args.CODE_REASON,
    access=Access.LEADER,
    example="驳回申诉 112201 属于本网格范围",
    phrases=("申诉驳回", "不同意申诉", "不支持申诉"),
    decisions=("申诉不成立", "申诉无效"),
)
def reject_appeal(ctx: Context, command: Command) -> list[Reply]:
    """申诉不成立，继续处置"""
    outcome = requests.decide_appeal(
        ctx.session, ctx.runtime, command.code or "", False, command.note, ctx.origin
    )
    return outcome_replies(ctx, outcome)


@router.command(
    "督办",
    "挂牌督办",
    args=Args.CODE_NOTE,
    access=Access.LEADER,
    example="督办 112201 群众反映强烈",
)
def supervise(ctx: Context, command: Command) -> list[Reply]:
    """挂牌督办：缩短提醒间隔，简报置顶"""
    outcome = supervision.supervise(
        ctx.session, ctx.runtime, command.code or "", command.note, ctx.origin, on=True
    )
    return outcome_replies(ctx, outcome)


@router.command(
    "取消督办",
    args=Args.CODE,
    access=Access.LEADER,
    example="取消督办 112201",
    decisions=("督办取消", "撤销督办", "解除督办"),
)
def unsupervise(ctx: Context, command: Command) -> list[Reply]:
    """结束督办"""
    outcome = supervision.supervise(
        ctx.session, ctx.runtime, command.code or "", "", ctx.origin, on=False
    )
    return outcome_replies(ctx, outcome)
