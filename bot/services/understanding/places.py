"""Places (地点) in what patrollers type: roads, buildings, villages, sites and landmarks.

A place is a phrase that names where: it carries a place word (路/街/巷, 号楼/栋/单元, 村/社区,
市场/工地/加油站/小学, 桥/河/沟/坡, a direction or 附近/旁/对面/门口 after a landmark). In free
text the place is the phrase before the problem (「西街菜市场门口有人烧煤球」), found by cutting
at the words that start telling what happened (有人, 有个, 那个, 在 …).
"""

from __future__ import annotations

import re

from bot.services.understanding._text import fold, trim

_PLACE_WORD = re.compile(
    r"路|街|巷|胡同|号楼|号院|\d号|[一二三四五六七八九十]号|栋|幢|单元|村|社区|小区|市场|超市|商场|"
    r"饭店|饭馆|餐馆|店|铺|摊|厂|工地|项目|学校|小学|中学|幼儿园|医院|公园|广场|桥|河|沟|坡|渠|"
    r"塘|湖|水库|滩|岸|堤|林|田|地头|地里|空地|麦地|玉米地|果园|门口|门前|大门|东门|西门|南门|"
    r"北门|后门|对面|旁边|附近|周边|后面|后院|后墙|交叉口|路口|院|楼|车站|加油站|公交站|场|"
    r"锅炉房|屋|村委|中心|宾馆|酒店|厕所|国道|省道|库房|仓库|大院|家属院|片区|站|大道|段|"
    r"管委会|绿化带|高速口|路边|村口|村头|村东|村西|村南|村北|"
    # northern village names and what people call places: 李家营, 宋庄, 集上, 北关, 对过
    r"(?<=[\u4e00-\u9fff])(?:(?<![经国民私运阵军露夜野宿])营(?![业养销运造利])|(?<!村)庄(?![稼重严园])|"
    r"(?<![汉城碉])堡(?!垒)|屯|寨|洼)(?:村|子)?|集上|集市|早市|夜市|[东南西北]关|[东西南北]头|"
    r"开发区|园区|工业园|对过|澡堂|浴池|窑|养殖场|猪场|鸡场|牛场|十字|环路"
)
# Phrases that tell where something went or what to look at, not where it is.
_NOT_PLACE = re.compile(r"去了|往.{0,3}(?:去|走|开)|走了|开过去|照片|上图|图片|视频|看一下|模板")
# Where the description of what happened starts: the place is what comes before.
_CUT = re.compile(
    r"有人|有个|有辆|好几个|几个人|家家户户|家家都|带泥|大车|死(?=[猪鸡狗鱼鸭羊])|那(?=有|在|给)|有台|有家|有户|有一|有几|有好|有两|有三|有俩|那个|那块|那家|那边|那里|那儿|"
    r"这儿|这边|这里|发现|看到|看见|一直|经常|每天|晚上|夜里|夜间|白天|早上|上午|下午|又|还在|正在|"
    r"居民|住户|村民|商户|老板|群众|一户|在烧|在排|在倒|烧(?!烤)|烧烤(?![摊店城铺])|焚烧|路面|上周|昨天|前天|今天|已(?=完成|经|整改|处理)|冒|排(?!队)|倒|堆|喷|(?<!小)卖|油烟|扬尘|黑烟|很大|严重|太大|(?<=[上里边口旁前后下内头面处])有|那辆|那堆|那台|一辆|一家|一台|一堆|"
    r"烟囱|倾倒|倾泻|半夜|深夜|凌晨|中午|洒水车|好几天|几天|土方|作业(?![区队点])|没有|没开|未开|没盖|未苫盖|未密闭|围挡|破损|着火|着了|露天(?![市广剧停])|垃圾(?=堆|乱|桶)|的|：|:|，|,|。|；|;|\s|！|!|？|\?"
)
_LEAD = re.compile(
    r"(?:我在|就在|我们在|刚才|刚刚|刚|今天|早上|上午|下午|晚上|在|位于|路过|经过|看到|发现|还有|另外|此外|那个|就是|咱们|我们|俺们|"
    r"这个问题|这个|一个问题|以下问题)+"
)
# 「地点在白水河西关桥下」: a place the sender points at outright wins.
_NAMED = re.compile(r"(?:地点|地址|位置)(?:在|是)\s*(?P<place>[^\s，,。；;！!？?]+)")
# How many phrases of a free-text report are tried for the place.
_TRIED = 3
_MAX_PLACE = 40


def looks_like_place(text: str) -> bool:
    """Whether a phrase names a place (rather than a problem or a remark)."""
    folded = fold(text).strip()
    return (
        2 <= len(folded) <= 80
        and _PLACE_WORD.search(folded) is not None
        and _NOT_PLACE.search(folded) is None
    )


_ENDS_PLACE = re.compile(rf"(?:{_PLACE_WORD.pattern})$")


def ends_like_place(text: str | None) -> bool:
    """Whether a phrase ends in a place word (烧烤摊, 锅炉房; not 路面积尘)."""
    return (
        text is not None and looks_like_place(text) and _ENDS_PLACE.search(fold(text)) is not None
    )


def find_place(text: str) -> str | None:
    """The place in a free-text report, or None when none is named."""
    folded = fold(text)
    named = _NAMED.search(folded)
    if named and looks_like_place(named.group("place")):
        return trim(text[named.start("place") : named.end("place")])
    start, tried = _skip_lead(folded, 0), 0
    for cut in _CUT.finditer(folded, start):
        if cut.start() < start:
            continue
        if cut.start() - start >= 2:
            candidate = trim(text[start : cut.start()])
            if candidate and looks_like_place(candidate) and len(candidate) <= _MAX_PLACE:
                return candidate
            tried += 1
            if tried >= _TRIED:
                return None
        start = _skip_lead(folded, cut.end())
    candidate = trim(text[start:])
    if candidate and looks_like_place(candidate) and len(candidate) <= _MAX_PLACE // 2:
        return candidate
    return None


def _skip_lead(folded: str, start: int) -> int:
    """Past blanks and the words that lead up to a place (我在, 刚才路过, 这个问题)."""
    while start < len(folded) and not folded[start].strip():
        start += 1
    lead = _LEAD.match(folded, start)
    return lead.end() if lead else start
