"""What the bot says about a report it could not read.

Short Simplified Chinese; templates use str.format fields. A ticket is always「工单 <编号>」,
a time is always local, as「11月24日 18:00」.
"""

REPORT_TEMPLATE = (
    "【问题上报】\n类型：散煤\n地点：东关社区3号楼东侧\n描述：居民使用燃煤炉取暖，冒黑烟"
)

REPORT_MISSING = "上报未成功：缺少{missing}。请按下面的格式补全后重新发送：\n{template}"


REPORT_FIELD_CATEGORY = "类型"

REPORT_FIELD_LOCATION = "地点"

REPORT_FIELD_SEPARATOR = "、"
