"""Patrol check-ins and meeting reminders. Mentions are added by the transport.

Short Simplified Chinese; templates use str.format fields.
"""

CHECKED_IN = "已记录{grid} {day}巡查打卡（{who}）{note}。"
ZERO_REPORT = "已记录{grid} {day}巡查零报告（{who}）：未发现问题。"
NO_GRID = "您不在任何网格中，无法打卡。请联系平台管理员核对花名册。"
PATROL_REMINDER = (
    "【巡查提醒】{grid}今天还没有巡查记录，请巡查后发「巡查打卡 情况」，"
    "未发现问题发「今日巡查无异常」。"
)
PATROL_REMINDER_ALERT = "【预警期间巡查提醒】{grid}本时段还没有巡查记录，请立即巡查并打卡。"
MEETING_REMINDER = (
    "【会议提醒】今天 {at} 召开{name}，请准时参加；会后发「会议纪要 内容」存档（可附照片）。"
)
MEETING_RECORDED = "已记录{grid} {day}会议纪要（{who}）。"
MEETING_NEEDS_TEXT = "请写明会议内容，例如：会议纪要 研究了东关街散煤整治，明确三片区负责。"
