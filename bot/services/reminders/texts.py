"""Reminders (提醒). Mentions are added by the transport, so texts never repeat them.

Short Simplified Chinese; templates use str.format fields.
"""

DUE_SOON = (
    "【即将到期】工单 {code}（{category}｜{location}）整改期限 {due}，还剩{left}，请抓紧办结。"
)
NOT_ACCEPTED = (
    "【待受理】工单 {code}（{category}｜{location}）登记已{age}仍未受理，请回复「受理 {code}」。"
)
UNVERIFIED = (
    "【待核查】工单 {code}（{category}｜{location}，{grid}）办结已{age}仍未核查，"
    "请回复「核查通过 {code}」或「退回 {code} 原因」。"
)
UNVERIFIED_UP = (
    "【待核查】工单 {code}（{category}｜{location}，{grid}）办结已{age}，"
    "{verifier}仍未核查，请督促。"
)
MANY = "【提醒】{name}，您有 {count} 件事项："
LINE_DUE = "· {code} 即将到期（{due}，还剩{left}）"
LINE_ACCEPT = "· {code} 尚未受理（登记已{age}）"
LINE_VERIFY = "· {code} 待核查（{grid}办结已{age}）"
LINE_VERIFY_UP = "· {code} {verifier}仍未核查（{grid}办结已{age}）"
MORE = "……另有 {count} 件，回复「待办」查看。"
