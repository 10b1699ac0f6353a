"""Hostile and odd messages: what a fuzzer sends, and what staff sometimes paste."""

from __future__ import annotations

from hypothesis import strategies as st

PIECES = [
    "\ud800", "\udfff", "\x00", "\x07", "\x1b[31m", "\u202e", "\ufeff", "\u2005", "\r\n",
    "🔥", "👍🏻", "[捂脸]", "【问题上报】", "【上报问题】", "#上报 ", "上报一下", "报告：",
    "类型：", "地点：", "描述：", "期限：", "网格：", "1.", "①", "一个是", "\n", "；", "，",
    "散煤", "烧秸秆", "油烟", "东关社区3号楼", "西街菜市场门口", "112201", "１１２２０１",
    "受理 ", "办结 ", "销号 ", "查询 ", "照片 ", "更正 ", "帮助", "@网格通 ", "已办结",
    "「张伟：原文」\n- - - - - - - - -\n", "限期一周", "明天中午1点前", "十二月五日前",
    "99999999999999999999", "<script>alert(1)</script>", "' OR 1=1 --", "%s%s%n", "{0}",
    "地" * 600, "描" * 4100, "网格：" + "X" * 300, "期限：" + "9" * 50 + "天",
]  # fmt: skip

messages = st.lists(
    st.one_of(st.sampled_from(PIECES), st.text(max_size=12)), min_size=1, max_size=8
).map("".join)
