"""Overdue pings (超期提醒). Mentions are added by the transport, so texts never repeat them.

Short Simplified Chinese; templates use str.format fields. A ticket is always「工单 <编号>」,
a time is always local, as「11月24日 18:00」.
"""

# Mentions are added by the transport (WeChat puts「@姓名」in front), so texts never repeat them.
ESCALATION = (
    "【超期提醒】工单 {code} 整改期限 {due}，已超期{overdue}，仍未办结。\n"
    "类型：{category}  地点：{location}\n责任网格：{grid}（网格长：{head}）\n"
    "请{level}督促处置，办结后回复「办结 {code} 处置情况」。"
)

ESCALATION_MANY = "【超期提醒】以下 {count} 件工单已超过整改期限仍未办结，请{level}督促处置："

ESCALATION_LINE = "· {mark}{code} {category} {location}｜{grid}（网格长：{head}）超期{overdue}"

ESCALATION_LEVEL = "{grid}网格长"

ESCALATION_TOP_REPEAT = "（已提醒至最高一级，第{n}次）"

ESCALATION_MORE = "……另有 {count} 件超期工单，请发送「查询 编号」查看。"
ESCALATION_EVENT = "提醒{grid}网格长 {head}"
