"""Reading problem reports (上报) out of free-form group chat. Pure functions, no database.

What makes a message a report, in the ways staff really type:

* a report keyword at the start, after @mentions, emoji and WeChat emoji codes: 上报,
  问题上报, 上报问题, 环境问题上报, 情况上报, 报告, bare or as ``#上报`` / ``【上报】``, and
  followed by 一下 / 一个问题 / 两件事 …;
* 上报一下 at the end (「…冒黑烟 上报一下」), or 上报一下： / 上报： in the middle;
* no keyword, but at least two field keys (类型：… 地点：…).

A bracketed or hashed keyword is always a report (the sender chose the format). A bare 上报
needs something to report: a field, a category word or a place; 报告, an everyday word
(「报告领导，收到」), needs fields, or a category word and a place. A keyword running on into a
sentence (上报了吗, 上报的照片, 先不上报了) is chat. A quoted message is never a new report.

The text of a report is read as fields (``类型：散煤`` on lines, after ；/; or after ， when each
piece starts with a key; numbered ``1.类型：``, ``①地点：``; a key alone on its line with the
value on the next), as the one-line form ``#上报 <类型> <地点> <描述>``, or as free text,
where the category words, the place and a deadline are found wherever they stand. Several
problems in one message (two templates, a numbered list, 一个是…一个是…, a second problem
after 还有 / 另外) are read one each.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from bot.services.understanding import texts
from bot.services.understanding._text import clean, fold
from bot.services.understanding._text import trim as _trim
from bot.services.understanding.categories import Category, CategoryIndex, index_for
from bot.services.understanding.places import ends_like_place, find_place, looks_like_place


@dataclass(frozen=True)
class ParsedReport:
    """The fields of a report as written; `category` is None when the text matched nothing."""

    category: Category | None
    category_text: str | None
    location: str | None
    description: str | None
    deadline_text: str | None
    grid_text: str | None

    @property
    def missing(self) -> tuple[str, ...]:
        """Chinese names of required fields that were not given, e.g. ("类型", "地点")."""
        missing = []
        if self.category_text is None:
            missing.append(texts.REPORT_FIELD_CATEGORY)
        if self.location is None:
            missing.append(texts.REPORT_FIELD_LOCATION)
        return tuple(missing)


_FIELD_KEYS = {
    "问题类型": "category", "类型": "category", "类别": "category", "问题分类": "category",
    "问题": "category",
    "问题地点": "location", "地点": "location", "位置": "location", "地址": "location",
    "详细地址": "location", "具体位置": "location", "具体地点": "location", "发现地点": "location",
    "详细位置": "location",
    "问题描述": "description", "描述": "description", "情况": "description",
    "情况说明": "description", "具体情况": "description", "现场情况": "description",
    "整改期限": "deadline", "期限": "deadline", "时限": "deadline", "整改时限": "deadline",
    "处置时限": "deadline", "完成时限": "deadline",
    "责任网格": "grid", "所属网格": "grid", "网格": "grid",
}  # fmt: skip
# Keys that only count as a field at the start of a line (too common inside sentences).
_LINE_ONLY = frozenset({"问题", "情况"})
_KEYS = "|".join(sorted(_FIELD_KEYS, key=len, reverse=True))
# A number or mark in front of a key: 1. ① 一、 (1) …
_NUMBERING = r"(?:\(?\d{1,2}[.、)）]?|[①-⑩]|[一二三四五六七八九十][、.])?[^\S\n]*"
# Two ways a key starts a field. At the start of the body, of a line or after ";" it may be
# followed by a colon, a space, or the end of its line (the value then on the next line).
# After a comma, 、 or a space it needs a colon, so "烟很大，情况 严重" is not cut in two.
_FIELD = re.compile(
    rf"(?:^|(?<=[\n;]))[^\S\n]*{_NUMBERING}(?P<line_key>{_KEYS})"
    rf"(?:[^\S\n]*:|[^\S\n]+(?=\S)|[^\S\n]*(?=\n))"
    rf"|(?<=[\s,、])(?P<inline_key>{_KEYS})[^\S\n]*:"
)
_STARTS_SPACED = re.compile(rf"\s*(?:{_KEYS})[^\S\n]+\S")
_FIELD_SPACED = re.compile(
    rf"(?:^|(?<=[\n;]))[^\S\n]*{_NUMBERING}(?P<line_key>{_KEYS})"
    rf"(?:[^\S\n]*:|[^\S\n]+(?=\S)|[^\S\n]*(?=\n))"
    rf"|(?<=[\s,、])(?P<inline_key>{_KEYS})(?:[^\S\n]*:|[^\S\n]+(?=\S))"
)
_MENTIONS = r"(?:@[^\s@]+\s*)*"
# 「网格通你好，我要上报一个问题…」「我上报一下哈」: a greeting and 我要 before the keyword.
_LEAD_IN = r"(?:网格通[,!\s]*)?(?:你好|您好)?[,!\s]*(?:我|俺)?(?:要|想|来|这边)?"
_HEAD = re.compile(
    rf"\s*{_MENTIONS}\s*(?P<open>[\[【〔#]?)\s*{_LEAD_IN}"
    r"(?P<word>环境问题上报|问题上报|上报问题|巡查情况上报|情况上报|上报|报告|报一下|报一个|报个"
    r"|(?:反映|反馈)(?:一下)?(?:[一二两三四五六七八九十\d]?个)?(?:情况|问题)|反映一下|反映)"
    r"(?:\s*(?P<close>[\]】〕#]))?"
)
_COUNT = r"[一二两三四五六七八九十\d]"
_HEAD_TAIL = re.compile(rf"(?:一下[哈啊呀哦吧]?|一个问题|一个|{_COUNT}+(?:个问题|件事|个|件)|)")
# After a bare keyword, these turn it into a sentence about reporting (上报了吗, 上报的照片).
_RUNS_ON = frozenset("了过的吗没给到完率时数情材名网还")
# Nouns after a bare keyword that make it talk about reporting (上报格式, 上报材料, 上报工作).
_RUNS_ON_WORDS = (
    "格式",
    "材料",
    "名单",
    "工作",
    "数据",
    "要求",
    "制度",
    "流程",
    "系统",
    "平台",
    "上级",
)
_AFTER_HEAD = re.compile(r"[^\S\n]*[:,]?[!.。~]*")
# 「…冒黑烟 上报一下」, and a bare 上报 set apart at the end (「…有人烧垃圾，上报」); 「已经上报」
# 「统一上报」 run on from the words before and are chat.
_TRAILING = re.compile(
    r"[\s,，]*上报一下[\s。.!！~]*$|(?<=[\s,;。.!！])(?:特此|现)?上报[\s。.!！~]*$"
)
_MIDDLE = re.compile(
    rf"上报(?:一下|一个问题|{_COUNT}+个问题)?[^\S\n]*:|上报一下(?=[\s,])"
    # 「今天巡查发现两个问题：1.… 2.…」, 「反映个情况，…」
    rf"|(?<![没未无不])(?:发现|反映|反馈|汇报)了?"
    rf"(?:(?:{_COUNT}+个|个|以下|如下)(?:问题|情况)[^\S\n]*[:,]|(?:问题|情况)[^\S\n]*:)"
)
_WORD = re.compile(r"[^\s,;、]+")
# Several problems in one message.
_HEADER_AGAIN = re.compile(r"[【\[〔#]\s*(?:环境问题上报|问题上报|上报问题|上报)\s*[】\]〕#]?")
_ITEM = re.compile(
    r"(?:^|(?<=[\n\s:;,。：；，]))(?:\d{1,2}[.、)）．]|[①-⑩]|[一二三四五六七八九十][、是])|一个是"
    r"|第[一二三四五六七八九十](?:个是|个|是|处)"
)
# 「两个事：」「三个问题：」: a count that announces several problems.
_COUNTED = re.compile(r"(?:[两二三四五六七八九十\d]个?|^\s*)(?:事|问题|情况|处)[^\S\n]*:")
# A count of more than one after the keyword (上报两个问题, 反映三件事).
_SEVERAL = re.compile(r"(?<![一\d])[两二三四五六七八九十2-9]个?(?:问题|情况|件事|事|件|处)")
# Words that introduce a list of problems (「今天巡查发现三个问题：」「下午巡查情况：」).
_INTRO = re.compile(r"(?:问题|情况|如下|以下|几处|两处|三处|事)[^\S\n]*[:,]?\s*$")
# A header on a later line ("[捂脸]又有烧垃圾的\n#上报 …").
_LATER_HEAD = re.compile(r"\n\s*(?=[【\[〔#]\s*(?:环境问题上报|问题上报|上报问题|上报))")
# A grid named in passing: 二片区, 第三网格 (resolved near the sender's own grid).
_GRID_MENTION = re.compile(
    r"(?<![\u4e00-\u9fff])(?:[一二三四五六七八九十\d]{1,2}片区|第[一二三四五六七八九十\d]{1,2}网格)"
)
_PROBLEM_WORDS = re.compile(r"烧|烟|排|倒|堆|冒|污|臭|味|灰|尘|漏|撒|喷")
_DEADLINE = re.compile(
    r"(?:(?:限期|限|要求)[^\S\n]*(?:在[^\S\n]*)?"
    r"(?:\d{1,3}|[一二两三四五六七八九十]{1,3})[^\S\n]*个?(?:工作日|小时|天|日|周|星期)"
    r"(?:之内|以内|内)?"
    r"|(?:\d{1,3}|[一二两三四五六七八九十]{1,3})[^\S\n]*个?(?:工作日|小时|天|日|周|星期)(?:之内|以内|内)"
    r"|(?:今天|今日|明天|明日|后天|今晚|明晚)(?:上午|中午|下午|晚上)?"
    r"(?:(?:\d{1,2}|[一二两三四五六七八九十]{1,3})[点时](?:半|\d{1,2}分?)?)?(?:之前|以前|前)"
    r"|(?:今天|今日|明天|明日)(?:之内|以内|内)"
    r"|(?:本周|这周|本月底|月底|本月|(?:下|本|这)?(?:周|星期)[一二三四五六日天])(?:之前|以前|前|之内|以内|内)"
    r"|(?:\d{1,2}|[一二三四五六七八九十]{1,3})月(?:\d{1,2}|[一二三四五六七八九十]{1,3})[日号]"
    r"(?:\d{1,2}[点时])?(?:之前|以前|前)"
    r"|立即|马上|立刻|即刻)"
)


@dataclass(frozen=True)
class _Head:
    word: str
    decorated: bool  # 【上报】, #上报: the sender chose the report format
    tail: str  # 一下, 一个问题 … after the keyword
    start: int  # where the body starts


def parse_report(text: str, categories: Sequence[Category]) -> ParsedReport | None:
    """The first (usually the only) report in a message; None when it is not a report."""
    reports = read_reports(text, categories)
    return reports[0] if reports else None


def read_reports(text: str, categories: Sequence[Category]) -> list[ParsedReport] | None:
    """Every problem reported in a chat message, in order; None when it is not a report.

    A report whose place cannot be found comes back with `location` None (the bot asks for
    it); one whose category matches nothing has `category` None (filed as 其他, and said so).
    """
    return read_cleaned(clean(text).body, categories)


def read_cleaned(body: str, categories: Sequence[Category]) -> list[ParsedReport] | None:
    """`read_reports` on a message already cleaned (`_text.clean`), without its quote."""
    index = index_for(tuple(categories))
    folded = fold(body)
    head, skipped = _keyword(folded)
    body, folded = body[skipped:], folded[skipped:]
    if head is not None:
        start = head.start
        several = _SEVERAL.search(folded, 0, head.start)
        if several is not None:  # 「上报两个问题：…；…」「反映两个问题：」: the count parts them
            start = several.start()
        body, folded = body[start:], folded[start:]
    else:
        trailing = _TRAILING.search(folded)
        middle = _MIDDLE.search(folded)
        if trailing is not None:
            body, folded = body[: trailing.start()], folded[: trailing.start()]
        elif middle is not None:
            body, folded = body[middle.end() :], folded[middle.end() :]
        elif len({field for field, _, _ in _field_spans(folded)}) < 2:
            return None
    reports = _read_all(body, folded, index)
    if head is not None and not head.decorated and not _worth_reading(head, reports, folded, index):
        return None
    if head is None and not any(r.category_text or r.location for r in reports):
        return None
    return reports


_LEADING_MENTIONS = re.compile(rf"\s*{_MENTIONS}\s*")
_ASKS_BOT = re.compile(r"怎么|怎样|如何|什么|哪|吗|[?？]")


def _without_mentions(body: str) -> tuple[str, str]:
    """The text and its folded copy after the @mentions it opens with."""
    folded = fold(body)
    mentions = _LEADING_MENTIONS.match(folded)
    start = mentions.end() if mentions else 0
    return body[start:], folded[start:]


def read_addressed(body: str, categories: Sequence[Category]) -> list[ParsedReport] | None:
    """A message to the bot (@网格通) that tells of a problem without a report keyword: a
    report when it names a category, or a place and what is wrong there; None otherwise."""
    index = index_for(tuple(categories))
    body, folded = _without_mentions(body)
    reports = _read_all(body, folded, index)
    wrong = _PROBLEM_WORDS.search(folded) is not None
    if _ASKS_BOT.search(folded):  # 「秸秆焚烧怎么上报」 asks for help; a place makes it a case
        return reports if any(r.category is not None and r.location for r in reports) else None
    if any(r.category is not None or (r.location and wrong) for r in reports):
        return reports
    return None


# A problem told in passing that is no new case: dealt with, none found, a notice, a rule, a
# plan, a question about an old case.
_NOT_A_CASE = re.compile(
    r"已经?(?:处理|解决|整改|清理|制止|劝离|劝住|熄灭|扑灭|灭了|上报|报了|登记|反映过|拆|关|停)"
    r"|(?:处理|整改|清理|解决)(?:完|好)了|办结|销号|工单|编号|受理|劝过|不上报|不报了"
    r"|没(?:有)?(?:发现|问题|异常)|未发现|无异常|一切正常|正常|没啥|放心|表扬|辛苦|巡查完毕"
    r"|(?:无|没有?|未)(?:烧|见|看到)"
    r"|通知|要求|请各|各网格|各村|各社区|各片|各工地|各类|所有|严禁|禁止|不得|不准|不让|"
    r"会议|会上|开会|培训|学习|文件|转[:：]|转发|宣传|检查组|督查|约谈|任务|进度|承诺|补贴|"
    r"上周|上次|上回|上个月|今年|明年|去年|以后|要是|如果|万一|注意|重点|提前|盯紧|风险|预报|"
    r"答应|解释|执法权|完成了|已完成|停工|没出摊|关了|拆了|收了|少多了|报过|打捆|"
    r"我去|劝劝|有人问|问我|我说|肯定|多转|转转|"
    # coordination, hearsay, jokes and opinions about a problem, not a report of one
    r"因为|哈哈|玩笑|似的|知道|几点|真的|我.{0,6}去|你去|谁.{0,4}去|去看|看看|看一下|一趟|到现场|"
    r"在劝|去劝|一律|说了|城管|不归|邻村|应该|少了|群里|达标|基本没有|就剩|哪个|哪家|谁家|被抓|"
    r"建议|讨论|记下来|消防|打电话|照片|要不要|是不是|已经?(?:开?走|跑)了|"
    r"能不能|政策|罚款|罚多少|多少钱|教育了|灭了|"
    r"(?:明天|回头|晚点|待会|一会儿?|稍后|等会儿?)再?(?:上报|报)"
)
# What says a problem is there now: someone at it, smoke, a discharge, a heap left uncovered.
_HAPPENING = re.compile(
    r"有人|有户|有家|有辆|有个|有台|有一|有几|有两|正在|还在|又在|又有|又来|在烧|在排|在倒|在卖|"
    r"冒|直排|偷排|乱倒|乱堆|倾倒|没盖|未苫盖|没有苫盖|没苫盖|没开|未开|没有密闭|未密闭|撒漏|"
    r"很大|太大|老大|可大|严重|刺鼻|呛|熏|黑烟|扰民|不听|劝了|着火|点着|发黑|发臭|臭得|"
    r"限期|限[一二三两\d]|前整改|内整改|请立即|请马上|立即处理|马上处理|没人管|没有?净化|无油烟净化|"
    r"露天|横流|积土|起灰|灰大|全是土|黑水|臭|一户|烧(?:蜂窝煤|煤球|炉子)|流动加油|黑加油"
)
# What says so only with a place named (「307国道路边烧秸秆」, 「赵村养猪场粪水往沟里排」): without
# one, 「烧秸秆罚多少钱」 and 「刚才那个不是烧秸秆」 are talk about it.
_HAPPENING_AT = re.compile(
    r"烧(?!烤|饭|菜|水|香|开|得|的是|完了|坏)|焚烧|抛洒|撒土|往(?:沟|河|渠|塘|坑|地|田|外|路)里?[排倒冒]|"
    r"[烟味灰尘]大|又出来|又开始|又冒|又烧|偷着|偷偷|有卖|给人加油|熔铝|熔铅|死鱼|"
    r"渗|倒了|没洒水|没有?喷淋|尘土飞扬|带泥|又开了|又开张"
)
# A question about a case asks after it; one that tells of a new one says so (发现, 有人).
# 「烧稻草呢」「冒黑烟呢」 tell what is going on; 「那户呢」「处理的呢」「咋还没处理」 ask after
# a case.
_ASKS_AFTER = re.compile(
    r"吗|没有?[?？]?$|了没|(?:那|这|个|户|家|们|样|况|度|果|的)呢|呢[?？]|[?？]|咋(?!回事|整)|怎么|"
    r"啥时候|谁"
)
_TELLS = re.compile(r"发现|看到|看见")
_PASSING_LIMIT = 200


# 「上报一下，杏花村今日无秸秆焚烧」「…巡查完毕，无异常」: nothing was found (a zero report).
_NOTHING_FOUND = re.compile(
    r"无异常|未发现|没有?发现|一切正常|均正常|情况正常|值守正常|巡查正常|未见|没见"
    r"|(?:今日|今天|本周|全村|全天|均)无|无(?:秸秆|焚烧|烧|散煤|火点|问题|冒烟|返烧)"
    r"|零报告|都正常|没有?烧[^,，;；。\s]{0,6}的"
)
# 「散煤清零工作已经完成」「均已整改」「台账已经报了」: work done or a report of progress.
_WORK_DONE = re.compile(
    r"已完成|已经完成|完成了|均已整改|都已整改|全部整改|已经报了|已报|统一上报|进度|进展|台账|"
    r"劝导.{0,6}\d+家|拆除.{0,6}\d+台|共计?(?:劝导|拆除|查处|清理)|"
    r"处理完了|全部熄灭|清理完毕|安装到位|均已落实|劝阻.{0,6}\d+起"
)
# What still says a problem is there, whatever else the message says.
_STILL_THERE = re.compile(
    r"有人|有户|有家|有辆|有个|正在|还在|在烧|冒黑烟|冒烟|直排|偷排|着火|点着|很大|太大|严重|"
    r"刺鼻|呛|熏|仍|依然|还是|又|未整改|没整改"
)
# 「无秸秆焚烧」「未发现烧垃圾的」「未见苫盖」: what follows is said not to be there.
_ABSENT = re.compile(
    r"(?:均无|全无|无|未发现|没有?发现|未见|没见|没有)[^,;。.!\s]{0,12}"
    r"|[^,;。.!\s]{0,12}(?:均正常|都正常|情况正常|值守正常|巡查正常|一切正常|无异常)"
)


def says_nothing_found(body: str, categories: Sequence[Category]) -> bool:
    """A report keyword and nothing found (「上报一下，今日巡查无异常」), no category named: the
    day's zero report, which `read_cleaned` does not see (it reads problems)."""
    head, _ = _keyword(fold(body))
    # 报告 is an everyday word (「报告，吕匠村今日无火点」 tells the group): 上报 and the like only
    return (
        head is not None
        and head.word != "报告"
        and nothing_to_report(body, categories) == "nothing"
    )


def nothing_to_report(body: str, categories: Sequence[Category]) -> str | None:
    """A keyworded message that reports no problem: "nothing" for a zero report (无异常,
    未发现…), "done" for work done or progress (已完成, 均已整改), None for a real report.
    A problem named outside what is said to be absent (「未见苫盖，扬尘严重」) is a report."""
    folded = fold(body)
    if _STILL_THERE.search(folded):
        return None
    if _NOTHING_FOUND.search(folded):
        left = _ABSENT.sub(" ", folded)
        if index_for(tuple(categories)).find(left) is None and not _field_spans(left):
            return "nothing"
        return None
    if _WORK_DONE.search(folded) and not _field_spans(folded):
        return "done"
    return None


def read_unmarked(body: str, categories: Sequence[Category]) -> list[ParsedReport] | None:
    """A problem told in the group without a report keyword (「东关街17号院有一户还在烧煤
    炉子，烟很大」): the problems it names when it names a category where something is wrong
    (a place, or what is going on), so the bot can ask whether to file it; None for chat.
    A notice, a rule, a report of work done or of nothing found is chat."""
    index = index_for(tuple(categories))
    body, folded = _without_mentions(body)
    if len(folded) > _PASSING_LIMIT or _NOT_A_CASE.search(folded):
        return None
    placed = _HAPPENING.search(folded) is None
    if placed and _HAPPENING_AT.search(folded) is None:
        return None
    if _ASKS_AFTER.search(folded) and not _TELLS.search(folded):
        return None
    reports = [
        r
        for r in _read_all(body, folded, index)
        if r.category is not None and (r.location or not placed)
    ]
    return reports or None


def _worth_reading(
    head: _Head, reports: list[ParsedReport], folded: str, index: CategoryIndex
) -> bool:
    """A bare keyword must come with something to report (报告 with more than 上报)."""
    fields = bool(_field_spans(folded))
    if head.word == "报告" and not head.tail:  # 报告一下 asks as plainly as 上报
        first = _WORD.search(folded)
        named = first is not None and index.exact(first.group()) is not None
        return fields or named or any(r.category is not None and r.location for r in reports)
    return (
        fields
        or any(r.category is not None or r.location for r in reports)
        or _PROBLEM_WORDS.search(folded) is not None
    )


def _keyword(folded: str) -> tuple[_Head | None, int]:
    """The report keyword the text opens with, else the one a later line opens with
    (「[捂脸]又有烧垃圾的\n#上报 …」), and where the text is read from then."""
    head = _report_head(folded)
    if head is None and (later := _LATER_HEAD.search(folded)) is not None:
        return _report_head(folded[later.end() :]), later.end()
    return head, 0


def _report_head(folded: str) -> _Head | None:
    """The report keyword the text opens with, if any."""
    head = _HEAD.match(folded)
    if head is None:
        return None
    opening, closing = head.group("open"), head.group("close") or ""
    bracketed = opening not in ("", "#")
    if bracketed != (closing not in ("", "#")) or (closing == "#" and opening != "#"):
        return None
    tail = _HEAD_TAIL.match(folded, head.end())
    end = tail.end() if tail else head.end()
    after = folded[end:]
    glued = end == head.end() and bool(after)
    runs_on = after[0] in _RUNS_ON or after.startswith(_RUNS_ON_WORDS) if glued else False
    if runs_on and not (bracketed or closing == "#"):
        return None  # "上报了吗", "上报的照片", "#上报过了": the keyword runs into a sentence
    reported = head.group("word") == "报告"
    if reported and glued and not bracketed and not (after[0].isspace() or after[0] in ":,"):
        return None  # "报告领导"
    body = _AFTER_HEAD.match(folded, end)
    assert body is not None  # the pattern matches the empty string
    # 【报告】 is still the everyday word: only a bracketed 上报 chose the report format.
    tail_text = folded[head.end() : end]
    return _Head(head.group("word"), bool(opening) and not reported, tail_text, body.end())


def _items(body: str, folded: str, index: CategoryIndex) -> list[tuple[str, str]]:
    """The message cut into one piece per problem (or left whole)."""
    cuts = [m.start() for m in _HEADER_AGAIN.finditer(folded) if m.start() > 0]
    headed = bool(cuts)
    if not cuts:
        cuts = _item_cuts(body, folded)
    also = not cuts and not _field_spans(folded)
    if also:
        cuts = _also_cuts(folded, index)
    if not cuts:
        return [(body, folded)]
    bounds = [0, *cuts, len(folded)]
    pieces = [(body[a:b], folded[a:b]) for a, b in itertools.pairwise(bounds)]
    if also or headed:  # the words before 还有 (or a second 【上报】) are a problem of their own
        return [(b, f) for b, f in pieces if _trim(f)]
    lead, rest = pieces[0], pieces[1:]
    if _INTRO.search(lead[1]):  # 「今天巡查发现三个问题：」 introduces the items
        return [(b, f) for b, f in rest if _trim(f)]
    if _trim(lead[1]) and not _field_spans(lead[1]):
        # The words before the first item ("吕匠村北边") belong to every item.
        rest = [(lead[0] + b, lead[1] + f) for b, f in rest]
    elif _trim(lead[1]):
        rest = [lead, *rest]
    return [(b, f) for b, f in rest if _trim(f)]


def _item_cuts(body: str, folded: str) -> list[int]:
    """Where numbered problems start; numbered fields (1.类型 2.地点) are one problem."""
    marks = list(_ITEM.finditer(body))
    if any(m.group() == "一个是" for m in marks):
        marks = [m for m in marks if m.group() == "一个是"]
    if any(m.group().startswith("第") for m in marks):
        marks = [m for m in marks if m.group().startswith("第")]
    if not marks and (count := _COUNTED.search(folded)) is not None:
        # 「两个事：府前街烧烤油烟扰民；府前街北口路面浮土多」: counted, then parted by ；
        parts = list(re.finditer(r"(?<=;)\s*(?=\S)", folded[count.end() :]))
        if parts:
            return [count.end(), *(count.end() + m.end() for m in parts)]
    if len(marks) < 2:
        return _template_cuts(folded)
    spans = [(field, start) for field, start, _ in _field_spans(folded, every=True)]
    categories = [start for field, start in spans if field == "category"]
    if spans and len(categories) < 2:
        return []  # one set of fields, numbered
    if len(categories) >= 2:
        firsts = [start for start in categories[1:]]
        return [max((m.start() for m in marks if m.start() <= s), default=s) for s in firsts]
    return [m.start() for m in marks]


def _template_cuts(folded: str) -> list[int]:
    """Templates one after another without numbers (类型… 地点… 描述… then 类型… again): a
    new problem starts where a field of the one before comes again. Else the second
    problem went into the first one's last field, without a word."""
    spans = _field_spans(folded, every=True)
    if sum(field == "category" for field, _, _ in spans) < 2 and (
        sum(field == "location" for field, _, _ in spans) < 2
    ):
        return []
    cuts: list[int] = []
    seen: set[str] = set()
    for field, start, _ in spans:
        if field in seen:
            cuts.append(start)
            seen = set()
        seen.add(field)
    return cuts


# 「…有人烧垃圾，还有西街烧烤摊油烟很大」: a second problem run on after 还有 / 另外 / 此外.
_ALSO_BEHIND = r"(?<=[\s,;。.!~])"
_ALSO = re.compile(_ALSO_BEHIND + r"(?:还有就是|还有|另外|另有|此外|再就是)[^\S\n]*[,:]?")


def _also_cuts(folded: str, index: CategoryIndex) -> list[int]:
    """Where a free-text message goes on to another problem: a piece after 还有 that names a
    category other than the one before it, or a category at a place of its own."""
    cuts: list[int] = []
    last = 0
    for match in _ALSO.finditer(folded):
        before, after = folded[last : match.start()], folded[match.end() :]
        nxt = _ALSO.search(after)
        after = after[: nxt.start()] if nxt else after
        said, then = index.find(before), index.find(after)
        if then is None or said is None:
            continue
        # 「…烧煤取暖，还有烟囱冒黑烟」 is the same stove: another problem is named outright
        # (by a name or synonym), or is at a place of its own.
        if (then.category is not said.category and then.strong) or find_place(after) is not None:
            cuts.append(match.start())
            last = match.start()
    return cuts


def _read_all(body: str, folded: str, index: CategoryIndex) -> list[ParsedReport]:
    """One report per problem in the text (see `_items`), later ones filled from earlier."""
    return _inherit([_read_item(b, f, index) for b, f in _items(body, folded, index)])


# A grid's name as the first word of a free-text report: 一村一片, 东关社区二网格, 吕匠村网格
# (not 东关街一片, which may be a place).
_GRID_WORD = re.compile(
    r"[\u4e00-\u9fff\d]{0,8}(?:(?:村|社区|镇|乡)[一二三四五六七八九十\d]{0,2}(?:片区?|网格)"
    r"|[一二三四五六七八九十\d]{1,2}网格)(?=[\s,;:]|$)"
)
_GRID_REST = re.compile(r"[\s,;]+")


def _read_item(body: str, folded: str, index: CategoryIndex) -> ParsedReport:
    body, folded = _strip_mark(body, folded)
    spans = _field_spans(folded)
    grid_word: str | None = None
    free = None if spans else body  # the text a place is found in, when no 地点 field gave it
    if spans:
        values = _field_values(body, spans)
        grid, rest = _grid_and_rest(values.get("grid"))
        if grid is not None:
            # 「网格：一村一片 东关街12号门口…」: the grid is one word, the rest is the report.
            values["grid"] = grid
            if rest and "location" not in values:
                free = rest
                values.setdefault("description", rest)
    else:
        lead = _GRID_WORD.match(folded.lstrip())
        if lead is not None and _trim(folded.lstrip()[lead.end() :]):
            skip = len(folded) - len(folded.lstrip()) + lead.end()
            grid_word = _trim(body[:skip])
            body, folded = body[skip:], folded[skip:]
            free = body
        values = _positional_values(body, folded, index) or _free_values(body)
        if grid_word is not None:
            values["grid"] = grid_word
    category_text = values.get("category")
    category = index.for_field(category_text) if category_text else None
    if category_text is None or category is None:
        found = index.find(body)
        if found is not None and (category_text is None or found.category is not None):
            category = found.category
            category_text = category_text or found.words
    location = values.get("location")
    if location is not None and not looks_like_place(location):
        location = location if len(location) >= 2 else None
    if location is not None and spans and "category" not in values and category_text:
        location, told = _place_then_problem(location, category_text)
        if told:
            values.setdefault("description", told)
    words = category_text
    if free is not None and words is not None and words not in free:
        found_free = index.find(free)  # the 类型 field named it; the free text words it so
        words = found_free.words if found_free is not None else None
    inside = bool(words and location and words in location)
    if free is not None and words and location and not inside:
        location = _short_of(location, free, words)
    if free is not None and (
        location is None or (inside and not _names_a_place(location, words or ""))
    ):
        # The category's own words are no place ("#上报 工地扬尘 照片见上图"), nor part of one
        # (「西街菜市场油烟扰民」 is at 西街菜市场; 「西街烧烤摊」 is a place).
        location = (
            find_place(free.replace(words, " " * len(words), 1) if words else free) or location
        )
    deadline = values.get("deadline")
    if deadline is None:
        in_text = _DEADLINE.search(fold(body))
        deadline = in_text.group() if in_text else None
    grid = values.get("grid")
    if grid is None:
        mention = _GRID_MENTION.search(fold(body))
        grid = mention.group() if mention else None
    return ParsedReport(
        category=category,
        category_text=category_text,
        location=location,
        description=values.get("description"),
        deadline_text=deadline,
        grid_text=grid,
    )


def _place_then_problem(location: str, words: str) -> tuple[str, str | None]:
    """「地点：石桥村村口 农用车冒黑烟」 with no 类型 field: the place is what comes before the
    blank, when the problem's words come after it; (place, what was told after it)."""
    at = location.find(words)
    blank = location.rfind(" ", 0, at) if at > 0 else -1
    head, rest = location[:blank], location[blank + 1 :]
    if blank > 0 and looks_like_place(head):  # 「地点：东关街 12号院 锅炉冒黑烟」: 东关街 12号院
        return _trim(head) or head, _trim(rest)
    return location, None


def _names_a_place(location: str, words: str) -> bool:
    """Whether the category's words are part of a place in it: a place word themselves
    (烧烤摊) or with the character or two after them (学校锅炉|房). Not when that is all
    the place says (「锅炉房烟囱冒黑烟，在东关社区」 is at 东关社区)."""
    if ends_like_place(words):
        return True
    at = location.find(words)
    end = at + len(words)
    return at > 0 and any(
        _BUILDING.fullmatch(location[end : end + n]) is not None
        for n in (1, 2)
        if end + n <= len(location)
    )


# What makes a category's word a building or a stall: 锅炉|房, 洗车|房, 烧烤|摊子.
_BUILDING = re.compile(r"[房摊店厂站间铺棚场池窑堂][子儿]?")


def _short_of(location: str, free: str, words: str) -> str:
    """The place cut where the category's words begin, when it ran into them: 「东关街洗车房
    污水直排」 is at 东关街洗车房, not 东关街洗车房污水直."""
    start, at = free.find(location), free.find(words)
    if start < 0 or not start < at < start + len(location) or ends_like_place(location):
        return location  # 「幸福路工地扬尘严重」 is at 幸福路工地
    before = _trim(free[start:at])
    return before if before and looks_like_place(before) else location


def _grid_and_rest(value: str | None) -> tuple[str | None, str | None]:
    """A 网格 field's grid and what was written after it on the same line."""
    if value is None:
        return None, None
    parts = _GRID_REST.split(fold(value).strip(), maxsplit=1)
    if len(parts) < 2:
        return value, None
    cut = len(parts[0])
    return _trim(value[:cut]) or value, _trim(value[cut:])


def _inherit(reports: list[ParsedReport]) -> list[ParsedReport]:
    """「2.东关街19号门口也在烧」: a later item without a category or place takes the last one's."""
    done: list[ParsedReport] = []
    for report in reports:
        if done and report.category is None and report.category_text is None:
            report = replace(
                report, category=done[-1].category, category_text=done[-1].category_text
            )
        if done and report.location is None:
            report = replace(report, location=done[-1].location)
        done.append(report)
    return done


def _strip_mark(body: str, folded: str) -> tuple[str, str]:
    mark = re.match(
        rf"\s*(?:{_HEADER_AGAIN.pattern}|一个是|第[一二三四五六七八九十](?:个是|个|是|处)"
        rf"|[一二三四五六七八九十]是|\d{{1,2}}[.、)）]|[①-⑩]|[一二三四五六七八九十]、"
        rf"|{_ALSO.pattern.removeprefix(_ALSO_BEHIND)})",
        folded,
    )
    if mark and not _field_spans(folded[: mark.end()] + "x"):
        return body[mark.end() :], folded[mark.end() :]
    return body, folded


@lru_cache(maxsize=256)
def _field_spans(folded: str, every: bool = False) -> tuple[tuple[str, int, int], ...]:
    """(field, key start, value start) of each field key, the first of each field (or all).

    When the text starts with a key and a space (类型 渣土车 地点 …), later keys may be
    followed by a space too.
    """
    spans: list[tuple[str, int, int]] = []
    pattern = _FIELD_SPACED if _STARTS_SPACED.match(folded) else _FIELD
    for match in pattern.finditer(folded):
        key = match.group("line_key") or match.group("inline_key")
        field = _FIELD_KEYS[key]
        if key in _LINE_ONLY and match.group("inline_key"):
            # 「类型:油烟 地点:北关十字路口 问题:烧烤摊油烟大」: after 类型 and 地点 fields a line
            # of fields goes on; elsewhere 问题 and 情况 are words of the sentence.
            seen_fields = {seen for seen, _, _ in spans}
            if not {"location", "category"} <= seen_fields:  # 「地点:会议室 问题:…」 is a notice
                continue
            field = "description"
        # A repeated key ("情况 严重" inside a description) is text of the field before it.
        if every or all(field != seen for seen, _, _ in spans):
            spans.append((field, match.start(), match.end()))
    return tuple(spans)


def _field_values(body: str, spans: tuple[tuple[str, int, int], ...]) -> dict[str, str]:
    ends = [key_start for _, key_start, _ in spans[1:]] + [len(body)]
    values: dict[str, str] = {}
    for (field, _, value_start), end in zip(spans, ends, strict=True):
        value = _trim(body[value_start:end])
        if value is not None:
            values[field] = value
    preamble = _trim(body[: spans[0][1]])
    if preamble is not None and "description" not in values:
        values["description"] = preamble
    return values


def _positional_values(body: str, folded: str, index: CategoryIndex) -> dict[str, str] | None:
    """The one-line form: category, location, then the rest of the message as description."""
    words = list(_WORD.finditer(folded))
    if not words or (index.exact(words[0].group()) is None and not _short_category(words)):
        return None
    spans = [(word.start(), word.end()) for word in words[:2]]
    if len(words) > 2:
        spans.append((words[2].start(), len(body)))
    values: dict[str, str] = {}
    for field, (start, end) in zip(("category", "location", "description"), spans, strict=False):
        value = _trim(body[start:end])
        if value is not None:
            values[field] = value
    location = values.get("location")
    if (
        location is not None
        and looks_like_place(location)
        and index.exact(words[0].group()) is None
        and _short_category(words)
    ):
        # 「咋回事 二号桥底下又有死鱼了」: a loose first word, then a place that runs on.
        values["location"] = find_place(location) or location
    elif location is not None and not looks_like_place(location):
        # "#上报 油烟扰民 …": the second word is no place; read the rest as free text.
        free = _free_values(body[words[0].end() :])
        values["location"] = free.get("location", "") or ""
        if not values["location"]:
            del values["location"]
        values["description"] = _trim(body) or ""
    return values


def _short_category(words: list[re.Match[str]]) -> bool:
    """A first word that names a category loosely (其它, 异味, 危废) before a place."""
    first = words[0].group()
    return (
        len(words) >= 2
        and 2 <= len(first) <= 6
        and not looks_like_place(first)
        and looks_like_place(words[1].group())
    )


def _free_values(body: str) -> dict[str, str]:
    values: dict[str, str] = {}
    place = find_place(body)
    if place:
        values["location"] = place
    text = _trim(body)
    if text:
        values["description"] = text
    return values


_LOCATION_KEYS = "|".join(k for k in _KEYS.split("|") if _FIELD_KEYS[k] == "location")
_PLACE_KEY = re.compile(rf"^\s*(?:{_LOCATION_KEYS})\s*[:：]?")


def place_answer(text: str) -> str:
    """A reply to 「请补充问题地点」 as the place: 「地点：东关街12号」 → 「东关街12号」."""
    return _trim(_PLACE_KEY.sub("", text, count=1)) or text.strip()


def missing_fields_reply(report: ParsedReport) -> str:
    """The reply to a report lacking its category or location: what is missing, and the form."""
    if not report.missing:
        raise ValueError("report has all required fields")
    return texts.REPORT_MISSING.format(
        missing=texts.REPORT_FIELD_SEPARATOR.join(report.missing),
        template=texts.REPORT_TEMPLATE,
    )


def match_category(text: str, categories: Sequence[Category]) -> Category | None:
    """The category a 类型 field names, or None when unclear (see `CategoryIndex.for_field`)."""
    return index_for(tuple(categories)).for_field(text)
