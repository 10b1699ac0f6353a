"""Texts every feature may need: the generic apology and the stranger's refusal.

Short Simplified Chinese; templates use str.format fields. A ticket is always「工单 <编号>」,
a time is always local, as「11月24日 18:00」.
"""

SORRY = "抱歉，系统刚才出了点问题，这条消息没有处理成功。请稍后再发一次，或联系平台管理员。"

NOT_IN_ROSTER = (
    "您好，您还不在本平台的网格花名册中，暂时不能上报或处理工单。"
    "请联系平台管理员（区环保局）登记后再试。"
)
