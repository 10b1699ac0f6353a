"""Texts of the chat commands themselves: usage and help.

Short Simplified Chinese; templates use str.format fields. A ticket is always「工单 <编号>」,
a time is always local, as「11月24日 18:00」.
"""

COMMAND_USAGE = "用法：{usage}，例如：{example}"
HELP_HEADER = "【网格通使用说明】"
HELP_REPORT = (
    "上报问题：发送「【问题上报】」，下面逐行写 类型、地点、描述（可选 期限、网格）；"
    "或一行写「#上报 类型 地点 描述」。"
)
HELP_COMMANDS = "处理工单（在群里发，或私聊机器人）："
HELP_LINE = "· {usage}：{help}"
HELP_MORE = "（只列出您可以用的命令；谁可以用什么，见平台的使用说明。）"
# A command naming more tickets than one message handles.
TOO_MANY_CODES = "一条消息最多处理 {most} 张工单，以下未处理，请另发：{codes}"
