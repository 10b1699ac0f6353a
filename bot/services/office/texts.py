"""What the console says to office users (Simplified Chinese)."""

ROLE_NAMES = {"admin": "管理员", "viewer": "查看"}
ROLES_BY_NAME = {"管理员": "admin", "查看": "viewer", "admin": "admin", "viewer": "viewer"}

BAD_USERNAME = "用户名只能用字母、数字、下划线、点或短横线，3 到 32 个字符。"
USERNAME_TAKEN = "用户名 {username} 已被使用，请换一个。"
BAD_DISPLAY_NAME = "请填写姓名（1 到 30 个字）。"
BAD_ROLE = "角色只能是「管理员」或「查看」。"
WEAK_PASSWORD = "密码至少 10 个字符，且不能与用户名相同。"
UNKNOWN_GRID = "没有编码为 {code} 的网格，请核对后再试。"
UNKNOWN_USER = "没有用户 {username}。"
BAD_LOGIN = "用户名或密码不正确。"
LOCKED = "密码错误次数过多，账号已锁定，请 {minutes} 分钟后再试。"
DISABLED = "该账号已停用，请联系管理员。"
TOO_MANY_TRIES = "登录尝试过于频繁，请 {minutes} 分钟后再试。"
LAST_ADMIN = "不能停用最后一个区级管理员。"
OFFICE_SUFFIX = "（区办）"
READ_ONLY = "只读账号不能操作工单。"
UNKNOWN_ACTION = "不认识这个操作，请刷新页面后重试。"
ACTION_NEEDS = "请填写{field}。"
OUT_OF_SCOPE = "工单 {code} 不在您负责的范围内。"
OUT_OF_SCOPE_GRID = "网格 {code} 不在您负责的范围内。"
NO_TICKET = "没有编号为 {code} 的工单。"
READ_ONLY_ACCOUNT = "您的账号是只读（查看）账号，不能做这项操作。"
UNKNOWN_REPORT = "报表只有「周报」和「月报」两种。"

# The console's action buttons, and which fields each one asks for.
ACTION_LABELS = {
    "assign": "交办（下派）",
    "transfer": "转办",
    "supervise": "挂牌督办",
    "unsupervise": "取消督办",
    "grant_extension": "同意延期",
    "refuse_extension": "不同意延期",
    "uphold_appeal": "申诉通过",
    "reject_appeal": "驳回申诉",
    "close": "核查通过（销号）",
    "send_back": "退回返工",
}
ACTION_FIELDS = {
    "assign": ("grid", "note", "deadline"),
    "transfer": ("grid", "note"),
    "supervise": ("note",),
    "refuse_extension": ("note",),
    "reject_appeal": ("note",),
    "send_back": ("note", "deadline"),
}
