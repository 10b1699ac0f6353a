"""Heavy-pollution alerts. Mentions are added by the transport.

Short Simplified Chinese; templates use str.format fields.
"""

ALERT = (
    "【重污染天气{color}预警】{start} 至 {end}\n{note}管控措施：{measures}\n"
    "请本群网格长回复「收到」确认，并立即部署落实。"
)
ALERT_UPGRADED = "（由{old}预警升级）"
ALERT_LOWERED = "（由{old}预警调整）"
ALERT_LIFTED = "【预警解除】重污染天气{color}预警已于 {at} 解除，恢复日常管控和巡查。"
ISSUED = "已向 {count} 个群发布{color}预警（{start} 至 {end}），各群网格长需回复「收到」。"
_RECONFIRM = "（至 {end}），已通知 {count} 个群，各群网格长需重新回复「收到」。"
UPGRADED = "已将{old}预警升级为{color}预警" + _RECONFIRM
LOWERED = "已将{old}预警调整为{color}预警" + _RECONFIRM
LIFTED = "已解除{color}预警，已通知 {count} 个群。"
ACKED = "{grid}已确认收到{color}预警（{who}）。"
ALL_ACKED = "【预警确认】{color}预警全部 {total} 个群已确认收到。"
TALLY = "【预警确认】{color}预警已确认 {acked}/{total}，未确认：{missing}"
REMIND = (
    "【预警未确认】{color}预警已发布 {minutes} 分钟，{grid}尚未回复「收到」，请立即确认并部署。"
)
ESCALATE = (
    "【预警未确认】{color}预警已发布 {minutes} 分钟，下级{grid}（网格长：{head}）仍未确认，请督促。"
)
USAGE = (
    "发布预警写法：发布预警 橙色 12月2日0时至12月4日24时 说明（颜色：黄色、橙色、红色；"
    "开始可写「即日起」）。升级：升级为红色；降级：调整为黄色；解除：解除预警。"
)
BAD_COLOR = "看不懂预警颜色「{given}」，请写 黄色、橙色 或 红色。"
BAD_TIME = "看不懂预警时间「{given}」，请写成「12月2日0时至12月4日24时」或「即日起至12月4日24时」。"
END_BEFORE_START = "预警结束时间 {end} 不晚于开始时间 {start}，请核对。"
NOT_ALLOWED = "只有区级网格长或平台管理员才能发布、升级或解除预警。"
NONE_ACTIVE = "当前没有生效的预警。"
SAME_COLOR = "当前已是{color}预警。"
CHANGED_MEANWHILE = "预警刚刚已被其他人调整，请稍后再试。"
