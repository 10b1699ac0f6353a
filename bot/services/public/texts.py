"""What residents, the office and Open311 clients are told about public reports (有奖举报).

Residents and grid groups read Simplified Chinese; Open311 errors are English, for the
machines that call the API (the spec's clients), and say which field is wrong.
"""

# -- the public form: one short message per field ----------------------------------------
FIELD_CATEGORY = "category"
FIELD_ADDRESS = "address"
FIELD_DESCRIPTION = "description"
FIELD_PHOTO = "photo"
FIELD_NAME = "name"
FIELD_PHONE = "phone"

CATEGORY_UNKNOWN = "请选择问题类型。"
ADDRESS_MISSING = "请填写地点，例如：东关街12号对面。"
ADDRESS_TOO_LONG = "地点最多{limit}个字，请写短一些。"
DESCRIPTION_MISSING = "请简单描述看到的问题。"
DESCRIPTION_TOO_LONG = "描述最多{limit}个字，请写短一些。"
NAME_TOO_LONG = "称呼最多{limit}个字。"
PHONE_BAD = "手机号码格式不对，请填写11位手机号或固定电话。"
PHOTO_TOO_BIG = "照片不能超过{limit}MB，请压缩后重新选择。"
PHOTO_NOT_IMAGE = "照片只能是 JPG 或 PNG 格式。"
FORM_HAS_ERRORS = "提交未成功，请按提示修改后重新提交。"
FORM_UNREADABLE = "提交的内容无法读取，请刷新页面后重新填写。"
RATE_LIMITED = "您提交得太频繁了，请稍后再试（每小时最多{hour}条，每天最多{day}条）。"

# -- the status page ------------------------------------------------------------------
STATUS_TRIAGE = "待分派"
STATUS_ROUTED = "已受理，处置中"
STATUS_CLOSED = "已办结"
STATUS_REJECTED = "不予受理"
REPORT_NOT_FOUND = "找不到这个举报编号，请核对后重试。"

# -- the office's triage ----------------------------------------------------------------
ALREADY_HANDLED = "举报 {code} 已被处理（{status}），无需重复操作。"
REPORT_UNKNOWN = "找不到举报（编号 {ref}）。"
GRID_UNKNOWN = "找不到网格「{given}」，请填写花名册中的网格编码。"
REJECT_NEEDS_NOTE = "请写明不予受理的原因，举报人会看到它。"
REJECT_NOTE_TOO_LONG = "原因最多{limit}个字。"
DISTRICT_OFFICE = "{district}网格化环境监管平台"
DISTRICT_OFFICE_UNNAMED = "区网格化环境监管平台"
COORDINATES = "经纬度 {lat},{long}"
ADDRESS_ID = "地址编号 {address_id}"
ROUTED_NOTICE = (
    "【群众举报】工单 {code}（{who} 分派）\n类型：{category}\n地点：{location}\n"
    "描述：{description}\n责任人：{head}\n整改期限：{due}\n"
    "请回复「受理 {code}」，办结后回复「办结 {code} 处置情况」。"
)
NO_DESCRIPTION = "（无）"
PHOTO_EVENT = "群众举报照片"
SERVICE_GROUP = "生态环境"
SERVICE_NOTICE = "举报已收到，平台将尽快核实并分派到责任网格。"
STATUS_NOTE_ROUTED = "已分派至{grid}，工单 {ticket}"

# -- Open311 errors (English: the API's clients are programs) ------------------------------
E_API_KEY = "api_key is missing, unknown or revoked"
E_SERVICE_CODE_MISSING = "service_code is required"
E_SERVICE_CODE_UNKNOWN = "service_code '{code}' is not a known service"
E_LOCATION = "a location is required: lat and long, address_string or address_id"
E_LAT_LONG = "lat and long must both be given as decimal degrees (lat -90..90, long -180..180)"
E_TOO_LONG = "{field} is longer than {limit} characters"
E_DATE = "{field} is not a W3C datetime (e.g. 2026-11-22T10:00:00+08:00)"
E_STATUS = "status must be open, closed or both (comma-separated)"
E_REQUEST_UNKNOWN = "service_request_id '{id}' is not known"
E_FORMAT = "unknown format '{fmt}': use .json or .xml"
E_BODY = "the body must be application/x-www-form-urlencoded or multipart/form-data"
E_PHONE = "phone is not a telephone number"
E_MEDIA_URL = "media_url must be an http or https URL"

# -- api keys (the command line) ----------------------------------------------------------
KEY_NAME_BAD = "请为密钥写一个名称（最多{limit}个字），例如：12345热线。"
KEY_ISSUED = (
    "已签发 Open311 密钥 #{id}（{name}）：\n{key}\n请立即转交对方并妥善保存，此密钥只显示这一次。"
)
KEY_REVOKED = "密钥 #{id} 已停用。"
KEY_NOT_REVOKED = "没有可停用的密钥 #{id}（不存在或早已停用）。"
KEY_LINE = "#{id}\t{name}\t签发于 {created}\t{state}"
KEY_LIVE = "有效"
KEY_DEAD = "已停用（{at}）"
KEY_NONE = "还没有签发过密钥。"
