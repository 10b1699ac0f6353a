"""Who a sender is: the notices when a display name fits several roster members.

Short Simplified Chinese; templates use str.format fields. A ticket is always「工单 <编号>」,
a time is always local, as「11月24日 18:00」.
"""

AMBIGUOUS_MEMBER = "「{name}」与花名册中多人同名，暂时无法确认您的身份，已请平台管理员核实。"

AMBIGUOUS_ADMIN = (
    "【身份待核实】「{room}」中的「{name}」（微信ID：{id}）与花名册中多人同名，机器人不会猜测。"
    "请在花名册「微信号」一列为此人填写微信号后重新导入。"
)
