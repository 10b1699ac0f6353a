"""What the bot says about tickets: opened, accepted, resolved, closed, refused, queried.

Short Simplified Chinese; templates use str.format fields. A ticket is always「工单 <编号>」,
a time is always local, as「11月24日 18:00」.
"""

# Said wherever a time is written (延期, 退回, 交办, 更正, 预警): no word of 上报 in it.
BAD_DEADLINE = "看不懂期限「{given}」。请写成「2天」「48小时」「3个工作日」或「11月25日前」。"

PAST_DEADLINE = "期限「{given}」已经过去了，请填写今后的时间。"

REPORT_WHICH_GRID = "「{given}」对应多个网格：{choices}。请在「网格：」后写网格编码重新发送。"
REPORT_UNKNOWN_GRID = "上报未成功：找不到网格「{given}」。请填写花名册中的网格编码或网格名称。"

TICKET_OPENED = (
    "已登记工单 {code}\n类型：{category}\n地点：{location}\n责任网格：{grid}\n"
    "责任人：{head}\n整改期限：{due}\n请及时受理处置，办结后回复「办结 {code} 处置情况」。"
)

NO_HEAD_ASK_ADMIN = "（该网格未设网格长，请管理员补充）"
# A ticket reported outside its grid's group (a private chat, another group) is told there.
TICKET_FORWARDED = "【新工单】{who}在{where}上报：\n"
WHERE_PRIVATE = "私聊中"
# A grid without a head: the nearest head above is asked at once, not at the deadline.
NO_HEAD_NOTICE = (
    "【无人受理】工单 {code}（{category}，{location}）的责任网格 {grid} 未设网格长。"
    "请安排处置，并请管理员在花名册中补充网格长。"
)

HOW_TO_REPORT = "请把问题的类型和地点写在「上报」后面一起发送，例如：\n{template}"
UNCLEAR_CODE = (
    "没看懂要对工单 {code}（{status}）做什么。可以回复：受理 {code}｜办结 {code} 处置情况｜"
    "查询 {code}｜延期 {code} 3天 原因｜申诉 {code} 原因。"
)
TICKET_NOT_FOUND = "找不到工单 {code}，请核对编号。"

PASSING_ASK = "要登记为工单吗？{items}。回复「上报」即登记（{minutes} 分钟内有效），不需要请忽略。"
PASSING_ITEM = "{category}（{location}）"
PASSING_SEPARATOR = "；"
PASSING_NO_PLACE = "地点未写"
ACCEPTED = "工单 {code} 已受理（{who}）。请在 {due} 前办结。"
ACCEPTED_LATE = (
    "工单 {code} 已受理（{who}）。整改期限 {due} 已过，已超期 {late}，请尽快办结；"
    "确需更多时间请回复「延期 {code} 3天 原因」。"
)

ALREADY_ACCEPTED = "工单 {code} 已经受理过了，当前状态：{status}。"


ALREADY_RESOLVED = "工单 {code} 已经办结，无需重复办结。"

CLOSED = "工单 {code} 已销号（{who}）。"

ALREADY_CLOSED = "工单 {code} 已经销号。"

CLOSE_NEEDS_RESOLVED = "工单 {code} 还未办结，不能销号。请责任网格先回复「办结 {code} 处置情况」。"

RESOLVE_NEEDS_NOTE = "请写明处置情况，例如：办结 {code} 已拆除燃煤炉，改用电取暖。"

NOT_ALLOWED_RESOLVE = "您不是工单 {code} 所属网格（{grid}）或其上级网格的人员，不能办结。"

NOT_ALLOWED_ACCEPT = "您不是工单 {code} 所属网格（{grid}）或其上级网格的人员，不能受理。"

NOT_ALLOWED_CLOSE = "只有上级网格的网格长、副网格长或平台管理员才能销号工单 {code}。"

NOT_ALLOWED = {
    "accept": NOT_ALLOWED_ACCEPT,
    "resolve": NOT_ALLOWED_RESOLVE,
    "close": NOT_ALLOWED_CLOSE,
    "return": "只有上级网格的网格长、副网格长或平台管理员才能退回工单 {code}。",
}
NOT_ALLOWED_QUERY = "您不是工单 {code} 所属网格或其上级网格的人员，不能查询。"

STATUS_NAMES = {"open": "待受理", "accepted": "处置中", "resolved": "已办结", "closed": "已销号"}

NO_HEAD = "未设网格长"

QUERY_HEADER = "工单 {code}（{status}）"

QUERY_BODY = (
    "类型：{category}\n地点：{location}\n描述：{description}\n"
    "责任网格：{grid}（网格长：{head}）\n整改期限：{due}"
)

QUERY_HISTORY_TITLE = "处置记录："

EVENT_NAMES = {
    "reported": "上报",
    "accepted": "受理",
    "resolved": "办结",
    "closed": "销号",
    "evidence": "上传照片",
    "evidence_missing": "照片接收失败",
    "escalated": "超期提醒",
    "corrected": "更正",
}

# Who may use a command, by their place in the grid tree (the README's 谁可以用 column).
ACCESS_NAMES = {
    "anyone": "花名册中的人员",
    "viewer": "上报人、本网格及上级网格人员",
    "staff": "本网格及上级网格人员",
    "verifier": "上级网格的网格长/副网格长、管理员",
    "own": "责任网格人员、管理员",
    "head": "本网格及上级网格的网格长/副网格长、管理员",
    "leader": "区、镇（街道）级网格长/副网格长、管理员",
    "district": "区级网格长/副网格长、管理员",
}

# -- what was assumed when a ticket was opened ---------------------------------------------
REPORT_UNKNOWN_CATEGORY = "上报未成功：不认识的问题类型「{given}」。可用类型：{choices}。"
ASSUMED_OTHER = "类型按「其他」登记（原文「{given}」）。"
ASSUMED_DEADLINE = "期限「{given}」没看懂，按类型默认 {hours} 小时登记。"
CORRECT_HINT = "如有不对，回复「更正 {code} 地点：……」（类型、描述、期限同样可改）。"
TICKETS_OPENED = "已登记 {count} 件工单："
TICKET_LINE = "· {code} {category}｜{location}｜{grid}（{head}）整改期限 {due}"
ASK_LOCATION = (
    "收到，请补充问题地点（如「东关街12号院门口」），{minutes} 分钟内直接回复地点即可，"
    "其余内容不用重发。"
)

# -- 更正 ------------------------------------------------------------------------------------
CORRECTED = "工单 {code} 已更正（{who}）：{change}。"
CORRECT_USAGE = (
    "请写明要更正的内容，例如：更正 {code} 地点：东关街12号院门口（可改 地点、类型、描述、期限）。"
)
CORRECT_NOT_LIVE = "工单 {code} 当前状态：{status}，不能再更正。"
NOT_ALLOWED_CORRECT = "只有上报人、工单 {code} 所属网格及上级网格的人员可以更正。"

# -- what is too long for the ledger --------------------------------------------------------
TOO_LONG = "{field}太长了（{given} 字，最多 {limit} 字），请精简后重新发送。"
FIELD_LOCATION = "地点"
FIELD_DESCRIPTION = "描述"
FIELD_NOTE = "说明"

# -- states added by the case flow ---------------------------------------------------------
STATUS_NAMES |= {"appealed": "申诉中", "dismissed": "不予处置"}
SUPERVISED_MARK = "【督办】"
SOURCE_NAMES = {"patrol": "巡查发现", "assigned": "上级交办", "public": "群众举报"}
WRONG_STATE = "工单 {code} 当前状态：{status}，不能{action}。"
ACTION_NAMES = {
    "accept": "受理",
    "resolve": "办结",
    "close": "销号",
    "return": "退回",
    "appeal": "申诉",
    "dismiss": "处理申诉",
}
NEEDS_REASON = "请写明原因，例如：{usage}"
FIELD_REASON = "原因"
MOVED_MEANWHILE = "工单 {code} 刚刚已被其他人调整，请先「查询 {code}」再操作。"
WHICH_GRID = "「{given}」对应多个网格：{choices}。请写网格编码。"
UNKNOWN_GRID = "找不到网格「{given}」，请填写花名册中的网格编码或网格名称。"

# -- 办结 / 核查 / 退回 ----------------------------------------------------------------------
RESOLVED_ASK = "工单 {code} 已办结（{who}）：{note}\n已请{grid}网格长 {verifier} 核查。"
RESOLVED_NEEDS_PHOTO = (
    "该类问题须有整改后照片：请在 {minutes} 分钟内直接发送照片（或先发「照片 {code}」）。"
)
VERIFY_NOTICE = (
    "【待核查】工单 {code} 已办结（{grid}，{who}）\n类型：{category}\n地点：{location}\n"
    "处置情况：{note}\n整改后照片：{photos}\n"
    "请核查：通过回复「核查通过 {code}」，不合格回复「退回 {code} 原因」。"
)
PHOTOS_NONE_YET = "待补发"
PHOTOS_COUNT = "{count} 个"
NO_VERIFIER = "（未找到上级网格长，请管理员核查）"
CLOSE_NEEDS_PHOTO = (
    "工单 {code} 还没有整改后照片，不能核查通过。请责任网格发「照片 {code}」后发送整改后照片。"
)
RETURNED = "工单 {code} 已退回返工（第 {n} 次，{who}）：{reason}\n新整改期限：{due}。"
RETURNED_NOTICE = (
    "【退回返工】工单 {code} 核查未通过（{who}）：{reason}\n"
    "请 {head} 重新整改，新整改期限：{due}，整改后回复「办结 {code} 处置情况」并发送照片。"
)
RETURN_USAGE = "退回 {code} 煤炉未拆除 2天（期限可不写，按类型默认）"
EVENT_NAMES |= {
    "returned": "退回返工",
    "assigned": "交办",
    "handed_up": "上报上级",
    "transferred": "转办",
    "extension_asked": "申请延期",
    "extension_granted": "同意延期",
    "extension_refused": "不同意延期",
    "appealed": "申诉",
    "appeal_upheld": "申诉通过",
    "appeal_rejected": "驳回申诉",
    "dismissed": "不予处置",
    "supervised": "挂牌督办",
    "unsupervised": "取消督办",
    "co_reported": "重复上报",
    "handed_over": "网格长变更",
}

# -- 交办 / 上报上级 / 转办 -----------------------------------------------------------------
ASSIGN_USAGE = (
    "交办写法：交办 网格 类型 地点 描述 [期限]，例如：交办 一村二片 散煤 二片5号楼 居民烧煤 2天；"
    "已有工单下派：交办 工单编号 网格。"
)
NOT_ALLOWED_ASSIGN = "只有工单 {code} 所属网格或上级网格的网格长、副网格长或管理员才能交办。"
NOT_ALLOWED_ASSIGN_NEW = "只有{grid}上级网格的网格长、副网格长或管理员才能向它交办任务。"
ASSIGN_NOT_BELOW = (
    "{grid}不在{current}之下：交办只能下派给下级网格；平级调整请用「转办 {code} 网格 原因」。"
)
ASSIGN_EVENT = "→ {grid}"
ASSIGNED = "已交办工单 {code} 给{grid}（网格长：{head}）。"
ASSIGNED_NOTICE = (
    "【上级交办】工单 {code}（{who} 交办）\n类型：{category}\n地点：{location}\n"
    "要求：{description}\n责任人：{head}\n整改期限：{due}\n"
    "请回复「受理 {code}」，办结后回复「办结 {code} 处置情况」。"
)
HAND_UP_USAGE = "上报上级 {code} 涉及企业，本级无法处置"
NOT_ALLOWED_HAND_UP = "只有工单 {code} 责任网格的人员才能上报上级。"
HAND_UP_TOP = "工单 {code} 已在最高一级网格，无法再上报上级。"
HAND_UP_EVENT = "{frm} → {to}：{reason}"
HANDED_UP = "工单 {code} 已上报{grid}（网格长：{head}），由上级负责处置。"
HANDED_UP_NOTICE = (
    "【下级上报】工单 {code}（{frm}，{who}）无法在本级处置：{reason}\n类型：{category}\n"
    "地点：{location}\n现由 {head} 负责，整改期限：{due}。可回复「交办 {code} 网格」下派，"
    "或「办结 {code} 处置情况」。"
)
TRANSFER_EXAMPLE = "转办 {code} 二村 地点属于二村"
TRANSFER_USAGE = "请写明转给哪个网格和原因，例如：" + TRANSFER_EXAMPLE
NOT_ALLOWED_TRANSFER = "只有工单 {code} 所属网格或上级网格的网格长、副网格长或管理员才能转办。"
NOT_ALLOWED_TRANSFER_TO = (
    "您不是{grid}的上级网格长，不能把工单 {code} 转办过去。请由共同上级或管理员转办。"
)
TRANSFER_SAME = "工单 {code} 已在{grid}，无需转办。"
TRANSFER_EVENT = "{frm} → {to}：{reason}"
TRANSFERRED = "工单 {code} 已转办给{grid}（网格长：{head}）。"
TRANSFERRED_IN = (
    "【转办】工单 {code} 从{frm}转来（{who}）：{reason}\n类型：{category}\n地点：{location}\n"
    "责任人：{head}\n整改期限：{due}\n请回复「受理 {code}」。"
)
TRANSFERRED_OUT = "工单 {code} 已转办给{to}（{reason}），本网格不再负责。"

# -- 延期 ------------------------------------------------------------------------------------
EXTEND_EXAMPLE = "延期 {code} 3天 设备到货晚"
EXTEND_USAGE = "请写明延到何时和原因，例如：" + EXTEND_EXAMPLE
NOT_ALLOWED_EXTEND = "只有工单 {code} 责任网格的人员才能申请延期。"
EXTEND_LIMIT = "工单 {code} 已延期 {count} 次，最多 {limit} 次，不能再延期。"
EXTEND_PENDING = "工单 {code} 已有延期申请在等待审批。"
EXTEND_NOT_LATER = "新期限 {due} 不晚于当前期限 {current}，无需延期。"
EXTEND_ASKED = "工单 {code} 延期申请已提交：期限改到 {due}。已请{grid}网格长 {head} 审批。"
EXTEND_NOTICE = (
    "【延期申请】工单 {code}（{grid}，{who}）申请把整改期限从 {current} 延到 {due}：{reason}\n"
    "同意回复「同意延期 {code}」，不同意回复「不同意延期 {code} 原因」。"
)
NO_PENDING_EXTENSION = "工单 {code} 没有待审批的延期申请。"
NOT_ALLOWED_DECIDE_EXTENSION = "只有工单 {code} 上级网格的网格长、副网格长或管理员才能审批延期。"
EXTENSION_GRANTED = "工单 {code} 同意延期（{who}）：新整改期限 {due}。"
EXTENSION_REFUSED = "工单 {code} 不同意延期（{who}）：{reason}\n请按原期限 {due} 办结。"
EXTENSION_EVENT = "{current} → {due}：{reason}"

# -- 申诉 ------------------------------------------------------------------------------------
APPEAL_USAGE = "申诉 {code} 不属于本网格，已由企业自行整改"
REFUSE_EXTENSION_USAGE = "不同意延期 {code} 可以按期完成"
REJECT_APPEAL_USAGE = "驳回申诉 {code} 经核实属于本网格"
NOT_ALLOWED_APPEAL = "只有工单 {code} 责任网格的人员才能申诉。"
APPEALED = "工单 {code} 申诉已提交，超期提醒暂停。已请{grid}网格长 {head} 裁定。"
APPEAL_NOTICE = (
    "【申诉】工单 {code}（{grid}，{who}）申诉：{reason}\n类型：{category}\n地点：{location}\n"
    "通过回复「申诉通过 {code}」（不予处置），驳回回复「驳回申诉 {code} 原因」。"
)
NO_PENDING_APPEAL = "工单 {code} 没有待处理的申诉。"
NOTHING_PENDING = (
    "工单 {code} 没有待审批的延期或申诉。"
    "核查合格请发「核查通过 {code}」，不合格请发「退回 {code} 原因」。"
)
NOT_ALLOWED_DECIDE_APPEAL = "只有区、镇（街道）级网格长或管理员才能处理工单 {code} 的申诉。"
APPEAL_UPHELD = "工单 {code} 申诉通过（{who}），按不予处置结案，不计入考核。"
APPEAL_REJECTED = "工单 {code} 申诉驳回（{who}）：{reason}\n请继续处置，整改期限 {due}。"

# -- 督办 ------------------------------------------------------------------------------------
NOT_ALLOWED_SUPERVISE = "只有区、镇（街道）级网格长或管理员才能督办工单 {code}。"
SUPERVISED = "工单 {code} 已挂牌督办（{who}）{note}。超期提醒间隔缩短为 {hours} 小时。"
SUPERVISE_NOTICE = (
    "【督办】工单 {code} 已挂牌督办（{who}）{note}，请 {head} 加快处置，整改期限 {due}。"
)
ALREADY_SUPERVISED = "工单 {code} 已在督办中。"
NOT_SUPERVISED = "工单 {code} 未在督办。"
UNSUPERVISED = "工单 {code} 已取消督办（{who}）。"
SUPERVISE_ENDED = "工单 {code} 已结束（{status}），无需督办。"

# -- 重复上报 ---------------------------------------------------------------------------------
DUPLICATE = (
    "该问题已有工单 {code}（{status}，{grid}，{at} 上报），已把您记为共同上报人，不再重复登记。\n"
    "如确是另一个问题，请回复「新问题」。"
)
NO_DUPLICATE_WAITING = "没有等待确认的重复上报。请直接按格式上报。"

# -- 查询 -----------------------------------------------------------------------------------
QUERY_OVERDUE = "已超期 {overdue}"
QUERY_FLAGS = "来源：{source}｜超期提醒 {escalations} 次｜延期 {extensions} 次｜返工 {reworks} 次"
QUERY_PENDING_EXTENSION = "延期申请待审批：延到 {due}"
QUERY_PENDING_APPEAL = "申诉待裁定"
QUERY_EVIDENCE_AFTER = "现场照片/视频：{before} 个，整改后照片：{after} 个"

# -- 网格长变更 -------------------------------------------------------------------------------
HANDOVER = "{name}，您已接任{grid}网格长，以下 {count} 件工单转由您负责："
HANDOVER_LINE = "· {mark}{code} {category}｜{location}｜{status}｜期限 {due}"
HANDOVER_MORE = "……另有 {count} 件，回复「待办」查看。"
HANDOVER_EVENT = "{old} → {new}"

# -- 待办 / 超期 / 统计 -------------------------------------------------------------------------
NOT_IN_ROSTER_QUERY = "花名册中没有您，查不到待办。请联系平台管理员。"
WORK_SECTION_MARK = "▸"
WORK_SECTION = "▸ {title}（{count} 件）"
WORK_LINE = "· {mark}{code} {category}｜{location}｜{grid}｜{status}｜期限 {due}{overdue}"
WORK_MORE = "……另有 {count} 件"
TODO_HEADER = "{name}的待办："
TODO_NONE = "{name}，目前没有待办事项。"
TODO_MINE = "我负责的工单"
TODO_VERIFY = "待我核查"
TODO_EXTENSION = "待我审批延期"
TODO_APPEAL = "待我裁定申诉"
OVERDUE_HEADER = "超期工单共 {count} 件："
OVERDUE_NONE = "目前没有超期工单。"
STATS_USAGE = "统计写法：统计、统计 本周、统计 本月（也可 今天、上周、上月）。"
STATS_HEADER = "{grid} {period}统计（新增/办结/销号/超期/按期办结率）："
STATS_TOTAL = "合计"
STATS_LINE = "· {grid}：新增 {new}，办结 {resolved}，销号 {closed}，超期 {overdue}，按期率 {rate}"

NOT_OWN_DECISION = "不能审批自己提出的申请（工单 {code}），请由上级网格长或管理员决定。"
EXTENSION_LAPSED = "工单 {code} 的延期申请已失效：当前期限 {due} 已晚于申请的期限。"
NO_VERIFIER_TOP = (
    "工单 {code} 已办结（{who}）：{note}\n"
    "本网格已是最高一级，请平台管理员核查后回复「核查通过 {code}」。"
)
