"""Texts of the web page and its JSON API.

Short Simplified Chinese; templates use str.format fields. A ticket is always「工单 <编号>」,
a time is always local, as「11月24日 18:00」.
"""

WEB_NEED_TOKEN = "请使用启动时打印的链接打开（含 token）"

WEB_FORBIDDEN_ORIGIN = "请求来源不对，已拒绝。请在本系统的页面里操作。"

WEB_BAD_REQUEST = "请求格式不对，请刷新页面后重试。"

WEB_UNKNOWN_ROOM = "没有找到群「{room}」，它可能不在花名册中。"

WEB_NOT_IN_ROOM = "所选人员不在「{room}」的花名册中，请重新选择发言人。"

WEB_EMPTY_TEXT = "消息不能为空。"

WEB_TEXT_TOO_LONG = "消息太长了（最多 {limit} 字）。"

WEB_NO_SIMULATOR = "机器人已连接真实微信，模拟群聊不可用；请在微信群里发消息。"

WEB_DATABASE_DOWN = "数据库暂时不可用，稍后自动恢复。"

WEB_NO_FILE = "没有这个文件。"

CONSOLE_LOGIN_NEEDED = "请先登录。"

CONSOLE_BAD_CSRF = "页面已过期，请刷新后重试。"

CONSOLE_FILL_LOGIN = "请填写用户名和密码。"

CONSOLE_BAD_DATE = "日期格式不对：{given}（应为 2026-11-22）。"

CONSOLE_PICK_FILE = "请选择要上传的花名册文件（.xlsx 或 .csv）。"

CONSOLE_FILE_TOO_BIG = "文件太大了（最多 {mb} MB）。"

CONSOLE_UPLOAD_GONE = "找不到刚才上传的文件，请重新上传并预览。"

CONSOLE_PICK_GRID = "请选择要分派到的网格。"

CONSOLE_ROUTED = "举报 {report} 已分派为工单 {code}（{grid}），已通知该网格。"

CONSOLE_REJECTED = "举报 {report} 已不予受理，举报人查询时可看到原因。"

CONSOLE_KEY_NAME = "请填写使用该 api_key 的单位或应用名称。"

CONSOLE_DISTRICT_ONLY = "只有区级管理员可以做这项操作。"
