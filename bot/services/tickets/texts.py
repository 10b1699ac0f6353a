"""What the bot says about tickets: opened, accepted, resolved, closed, refused, queried.

Short Simplified Chinese; templates use str.format fields. A ticket is always「工单 <编号>」,
a time is always local, as「11月24日 18:00」.
"""

REPORT_BAD_DEADLINE = (
    "上报未成功：看不懂期限「{given}」。请写成「2天」「48小时」「3个工作日」或「11月25日前」。"
)

REPORT_PAST_DEADLINE = "上报未成功：期限「{given}」已经过去了，请填写今后的时间。"

REPORT_WHICH_GRID = "「{given}」对应多个网格：{choices}。请在「网格：」后写网格编码重新发送。"
REPORT_UNKNOWN_GRID = "上报未成功：找不到网格「{given}」。请填写花名册中的网格编码或网格名称。"

TICKET_OPENED = (
    "已登记工单 {code}\n类型：{category}\n地点：{location}\n责任网格：{grid}\n"
    "责任人：{head}\n整改期限：{due}\n请及时受理处置，办结后回复「办结 {code} 处置情况」。"
)

NO_HEAD_ASK_ADMIN = "（该网格未设网格长，请管理员补充）"

TICKET_NOT_FOUND = "找不到工单 {code}，请核对编号。"

ACCEPTED = "工单 {code} 已受理（{who}）。请在 {due} 前办结。"

ALREADY_ACCEPTED = "工单 {code} 已经受理过了，当前状态：{status}。"

RESOLVED = "工单 {code} 已办结（{who}）：{note}\n请上级网格长核查后回复「销号 {code}」。"

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
}
NOT_ALLOWED_QUERY = "您不是工单 {code} 所属网格或其上级网格的人员，不能查询。"

STATUS_NAMES = {"open": "待受理", "accepted": "处置中", "resolved": "已办结", "closed": "已销号"}

NO_HEAD = "未设网格长"

QUERY_HEADER = "工单 {code}（{status}）"

QUERY_BODY = (
    "类型：{category}\n地点：{location}\n描述：{description}\n"
    "责任网格：{grid}（网格长：{head}）\n整改期限：{due}"
)

QUERY_EVIDENCE = "现场照片/视频：{count} 个"

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
