"""Roster import (花名册导入), role names and the chat-binding notices.

Short Simplified Chinese; templates use str.format fields. A ticket is always「工单 <编号>」,
a time is always local, as「11月24日 18:00」.
"""

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

ROSTER_SKIPPED_ROWS = "已跳过表头上方 {count} 行（标题）。"

ROSTER_IGNORED = "已忽略列：{names}。"

ROSTER_FILLED = "网格编码为空的 {count} 行沿用了上一行的网格（第{rows}行）。"

ROSTER_ADDED = "新加入（{count}）："

ROSTER_CHANGED = "职务或网格变动（{count}）："

ROSTER_REMOVED = "移出网格（{count}）："

ROSTER_ITEM = "· {text}"

ROSTER_MORE = "……等 {count} 人"

ROSTER_POST = "{grid}（{code}）{role}"

ROSTER_ADDED_LINE = "{name}：{post}"

ROSTER_CHANGED_LINE = "{name}：{before} → {after}"

ROSTER_REMOVED_LINE = "{name}：{post}"

ROSTER_NO_FILE = "找不到花名册文件「{name}」。"

ROSTER_BAD_TYPE = "花名册只支持 .csv 或 .xlsx 文件，「{name}」不是。"

ROSTER_XLS = "不支持 .xls 旧格式，请在 Excel 中“另存为” .xlsx 后再导入。"

ROSTER_ENCRYPTED = "花名册文件「{name}」设置了打开密码，请在 Excel 中取消密码后再导入。"

ROSTER_UNREADABLE = "花名册文件「{name}」无法读取，请另存为 .xlsx 或 UTF-8 编码的 .csv 后重试。"

ROSTER_EMPTY = "花名册是空的。第一行应为表头：{headers}"

ROSTER_BAD_HEADER = "花名册第{line}行的表头不对：{problems}。表头应为：{headers}"

ROSTER_NO_HEADER = "花名册找不到表头，缺少「{missing}」。表头应为：{headers}"

ROSTER_HEADER_TOO_LOW = "花名册第{line}行像是表头，请删除第{line}行以上的标题行后再导入。"

ROSTER_HEADER_MISSING = "缺少「{names}」"

ROSTER_HEADER_UNKNOWN = "不认识的列「{names}」"

ROSTER_HEADER_TWICE = "「{names}」都是「{header}」，只能保留一列"

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

LOGIN_RESTORED = (
    "【系统通知】机器人自 {since} 起掉线约 {duration}（原因：{reason}），现已恢复。"
    "掉线期间的回复、提醒和简报已补发；期间群里的新上报可能未收到，请重新发送。"
)

CLI_UNKNOWN_ROOM = "注意：群「{room}」不在花名册中（没有网格绑定此群），机器人不处理其中的消息。"
CLI_NO_WECHATY = (
    "已配置微信网关（WECHATY_PUPPET_SERVICE_ENDPOINT），但没有安装 python-wechaty。"
    "请用 make run 启动（会自动安装），或运行 .venv/bin/pip install -e '.[wechat]'。"
)
UNKNOWN_SENDS = (
    "【系统通知】机器人中断时有 {count} 条消息正在发送，无法确认是否已发出；"
    "为避免重复，没有自动重发。请到相应群里核对，需要时手动补发："
)
UNKNOWN_SEND_LINE = "· {room}：{text}"
UNKNOWN_SENDS_MORE = "……另有 {count} 条，见管理页。"

CLI_HANDOVER = "网格长有变更：已通知 {count} 位新网格长接手的在办工单。"
