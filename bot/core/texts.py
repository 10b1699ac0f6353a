"""Every user-facing text, in one place so it can be reviewed without hunting.

Templates use str.format fields. Keep them short, Simplified Chinese, and consistent:
a ticket is always「工单 <编号>」, a deadline is always local time as 「11月24日 18:00」.
"""

# -- generic -------------------------------------------------------------------------------
SORRY = "抱歉，系统刚才出了点问题，这条消息没有处理成功。请稍后再发一次，或联系平台管理员。"
NOT_IN_ROSTER = (
    "您好，您还不在本平台的网格花名册中，暂时不能上报或处理工单。"
    "请联系平台管理员（区环保局）登记后再试。"
)

# -- reports --------------------------------------------------------------------------------
REPORT_TEMPLATE = (
    "【问题上报】\n类型：散煤\n地点：东关社区3号楼东侧\n描述：居民使用燃煤炉取暖，冒黑烟"
)
REPORT_MISSING = "上报未成功：缺少{missing}。请按下面的格式补全后重新发送：\n{template}"
REPORT_UNKNOWN_CATEGORY = "上报未成功：不认识的问题类型「{given}」。可用类型：{choices}。"
REPORT_BAD_DEADLINE = (
    "上报未成功：看不懂期限「{given}」。请写成「2天」「48小时」「3个工作日」或「11月25日前」。"
)
REPORT_PAST_DEADLINE = "上报未成功：期限「{given}」已经过去了，请填写今后的时间。"
REPORT_UNKNOWN_GRID = "上报未成功：找不到网格「{given}」。请填写花名册中的网格编码或网格名称。"
TICKET_OPENED = (
    "已登记工单 {code}\n类型：{category}\n地点：{location}\n责任网格：{grid}\n"
    "责任人：{head}\n整改期限：{due}\n请及时受理处置，办结后回复「办结 {code} 处置情况」。"
)
NO_HEAD_ASK_ADMIN = "（该网格未设网格长，请管理员补充）"

# -- commands -------------------------------------------------------------------------------
COMMAND_USAGE = "用法：{usage}"
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
NOT_ALLOWED_QUERY = "您不是工单 {code} 所属网格或其上级网格的人员，不能查询。"

STATUS_NAMES = {"open": "待受理", "accepted": "处置中", "resolved": "已办结", "closed": "已销号"}

# -- escalation ----------------------------------------------------------------------------
# Mentions are added by the transport (WeChat puts「@姓名」in front), so texts never repeat them.
ESCALATION = (
    "【超期提醒】工单 {code} 整改期限 {due}，已超期{overdue}，仍未办结。\n"
    "类型：{category}  地点：{location}\n责任网格：{grid}（网格长：{head}）\n"
    "请{level}督促处置，办结后回复「办结 {code} 处置情况」。"
)
ESCALATION_MANY = "【超期提醒】以下 {count} 件工单已超过整改期限仍未办结，请{level}督促处置："
ESCALATION_LINE = "· {code} {category} {location}｜{grid}（网格长：{head}）超期{overdue}"
ESCALATION_LEVEL = "{grid}网格长"
ESCALATION_TOP_REPEAT = "（已提醒至最高一级，第{n}次）"
NO_HEAD = "未设网格长"

# -- briefing ------------------------------------------------------------------------------
BRIEFING_HEADER = "【每日简报】{grid} {date}"
BRIEFING_COUNTS = (
    "昨日新增 {new} 件，昨日办结 {resolved} 件；当前未办结 {open} 件，其中超期 {overdue} 件。"
)
BRIEFING_OVERDUE_TITLE = "超期工单："
BRIEFING_OVERDUE_LINE = "· {code} {category} {grid} 网格长：{head} 超期{overdue}"
BRIEFING_MORE = "……另有 {count} 件超期工单，请发送「查询 编号」查看。"
BRIEFING_ALL_CLEAR = "当前没有超期工单，请继续做好日常巡查。"

# -- report fields (named in REPORT_MISSING, joined with the separator) --------------------
REPORT_FIELD_CATEGORY = "类型"
REPORT_FIELD_LOCATION = "地点"
REPORT_FIELD_SEPARATOR = "、"

# -- query ---------------------------------------------------------------------------------
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
    "escalated": "超期上报",
}

# -- roster import (花名册导入) -------------------------------------------------------------
# Role codes stored in Membership.role, and the 职务 the roster and the chat use for them.
ROLE_NAMES = {
    "head": "网格长",
    "deputy": "副网格长",
    "first_head": "第一网格长",
    "member": "网格员",
    "admin": "管理员",
}
ROSTER_IMPORTED = "花名册导入完成："
ROSTER_CHECKED = "花名册检查通过（试导入，未写入）："
ROSTER_COUNTS = (
    "网格 新增 {grids_added}、更新 {grids_updated}、未变 {grids_unchanged}；"
    "人员 新增 {persons_added}、更新 {persons_updated}；"
    "职务 新增 {memberships_added}、变更 {memberships_changed}、移除 {memberships_removed}。"
)
ROSTER_NOT_IN_FILE = "另有 {count} 个网格不在本文件中，已保留未改动。"
ROSTER_ROOMS = "绑定微信群 {count} 个。"
ROSTER_NO_FILE = "找不到花名册文件「{name}」。"
ROSTER_BAD_TYPE = "花名册只支持 .csv 或 .xlsx 文件，「{name}」不是。"
ROSTER_UNREADABLE = "花名册文件「{name}」无法读取，请另存为 .xlsx 或 UTF-8 编码的 .csv 后重试。"
ROSTER_EMPTY = "花名册是空的。第一行应为表头：{headers}"
ROSTER_BAD_HEADER = "花名册表头不对：{problems}。第一行应为：{headers}"
ROSTER_HEADER_MISSING = "缺少「{names}」"
ROSTER_HEADER_EXTRA = "多出「{names}」"
ROSTER_HEADER_REPEATED = "重复「{names}」"
ROSTER_ERRORS = "花名册有 {count} 处错误，未导入任何数据："
ROSTER_ERROR_LINE = "第{line}行：{text}"
ROSTER_MORE_ERRORS = "……另有 {count} 处错误未列出。"
ROSTER_NO_GRID = "网格编码为空"
ROSTER_PERSON_NO_GRID = "填写了姓名但网格编码为空"
ROSTER_NO_GRID_NAME = "网格 {code} 缺少网格名称"
ROSTER_NO_LEVEL = "网格 {code} 缺少层级"
ROSTER_BAD_LEVEL = "层级「{given}」不是整数"
ROSTER_LOW_LEVEL = "层级「{given}」无效，最小为 1"
ROSTER_ROOT_WITH_PARENT = "一级网格 {code} 不应填写上级网格编码"
ROSTER_NO_PARENT = "{level}级网格 {code} 缺少上级网格编码（只有一级网格可以不填）"
ROSTER_UNKNOWN_PARENT = "上级网格编码 {parent} 不存在"
ROSTER_LEVEL_MISMATCH = (
    "网格 {code} 写的是{level}级，但上级 {parent} 是{parent_level}级，应为{expected}级"
)
ROSTER_CHILD_MISMATCH = (
    "网格 {code} 改为{level}级后，已有的下级网格 {child}（{child_level}级）层级对不上"
)
ROSTER_GRID_CONFLICT = "网格 {code} 的{field}「{given}」与第{first}行的「{expected}」不一致"
ROSTER_ROOM_CONFLICT = (
    "微信群「{topic}」已绑定网格 {owner}，只有它的下级网格才能共用此群，{code} 不是它的下级"
)
ROSTER_UNKNOWN_ROLE = "职务「{given}」不认识，应为：{choices}"
ROSTER_NO_NAME = "填写了{fields}但姓名为空"
ROSTER_PERSON_CONFLICT = (
    "微信号 {wechat_id} 的{field}「{given}」与第{first}行的「{expected}」不一致"
)
ROSTER_AMBIGUOUS_PERSON = "姓名「{name}」对应多名人员，无法确定是谁，请填写微信号或手机"
ROSTER_ROLE_CONFLICT = "{name} 在网格 {code} 已于第{first}行登记为{role}，这里又写成{other}"
ROSTER_BLANK = "（空）"
ROSTER_FIELD_NAME = "网格名称"
ROSTER_FIELD_LEVEL = "层级"
ROSTER_FIELD_PARENT = "上级网格编码"
ROSTER_FIELD_ROOM = "微信群"
ROSTER_FIELD_PERSON = "姓名"
ROSTER_FIELD_ROLE = "职务"
ROSTER_FIELD_WECHAT = "微信号"
ROSTER_FIELD_PHONE = "手机"
AMBIGUOUS_SENDER = "花名册里有多人叫「{name}」，请改用微信号指定发送人。"

# -- web page (模拟群聊与管理页) ------------------------------------------------------------
WEB_NEED_TOKEN = "请使用启动时打印的链接打开（含 token）"
WEB_FORBIDDEN_ORIGIN = "请求来源不对，已拒绝。请在本系统的页面里操作。"
WEB_BAD_REQUEST = "请求格式不对，请刷新页面后重试。"
WEB_UNKNOWN_ROOM = "没有找到群「{room}」，它可能不在花名册中。"
WEB_NOT_IN_ROOM = "所选人员不在「{room}」的花名册中，请重新选择发言人。"
WEB_EMPTY_TEXT = "消息不能为空。"
WEB_TEXT_TOO_LONG = "消息太长了（最多 {limit} 字）。"

# -- evidence ------------------------------------------------------------------------------
ATTACH_READY = "请在 {minutes} 分钟内发送工单 {code} 的现场照片或视频，收到后会自动归档。"
EVIDENCE_RECEIVED = "已收到工单 {code} 的现场照片/视频，共 {count} 个，已归档。"
EVIDENCE_MISSING = "工单 {code} 的一个照片/视频没有接收成功（已重试 {attempts} 次），请重新发送。"
EVIDENCE_LIMIT = "工单 {code} 已有 {count} 个照片/视频，达到上限，本次未归档。"
AMBIGUOUS_MEMBER = "「{name}」与花名册中多人同名，暂时无法确认您的身份，已请平台管理员核实。"
AMBIGUOUS_ADMIN = (
    "【身份待核实】「{room}」中的「{name}」（微信ID：{id}）与花名册中多人同名，机器人不会猜测。"
    "请在花名册「微信号」一列为此人填写微信号后重新导入。"
)

# -- connection ----------------------------------------------------------------------------
LOGIN_RESTORED = (
    "【系统通知】机器人自 {since} 起掉线约 {duration}（原因：{reason}），现已恢复。"
    "掉线期间的回复、提醒和简报已补发；期间群里的新上报可能未收到，请重新发送。"
)
WEB_NO_SIMULATOR = "机器人已连接真实微信，模拟群聊不可用；请在微信群里发消息。"
ESCALATION_MORE = "……另有 {count} 件超期工单，请发送「查询 编号」查看。"
CLI_UNKNOWN_ROOM = "注意：群「{room}」不在花名册中（没有网格绑定此群），机器人不处理其中的消息。"
