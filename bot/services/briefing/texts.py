"""The morning briefing (每日简报).

Short Simplified Chinese; templates use str.format fields. A ticket is always「工单 <编号>」,
a time is always local, as「11月24日 18:00」.
"""

BRIEFING_HEADER = "【每日简报】{grid} {date}"

BRIEFING_COUNTS = (
    "昨日新增 {new} 件，昨日办结 {resolved} 件；当前未办结 {open} 件，其中超期 {overdue} 件；"
    "待核查 {waiting} 件。"
)

BRIEFING_EMPTY = "【每日简报】{grid} {date}：昨日无新增，当前无在办、无超期工单。"

BRIEFING_CHILDREN_TITLE = "各下级网格（新增/未办结/超期/待核查）："
BRIEFING_CHILD_LINE = "· {grid}：{new}/{open}/{overdue}/{waiting}"

BRIEFING_OVERDUE_TITLE = "超期工单："

BRIEFING_OVERDUE_LINE = "· {mark}{code} {category} {grid} 网格长：{head} 超期{overdue}"

BRIEFING_MORE = "……另有 {count} 件超期工单，请发送「查询 编号」查看。"

BRIEFING_WAITING_TITLE = "待核查工单："
BRIEFING_WAITING_LINE = "· {mark}{code} {category} {grid} 办结已{age}"
BRIEFING_WAITING_MORE = "……另有 {count} 件待核查，发「待办」查看。"

BRIEFING_ALL_CLEAR = "当前没有超期工单，请继续做好日常巡查。"

BRIEFING_PATROL_ZERO = "昨日零报告：{grids}"
BRIEFING_PATROL_MISSING = "昨日未报告巡查：{grids}"
