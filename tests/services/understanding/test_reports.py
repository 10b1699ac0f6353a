"""Reports and ticket commands as patrollers really type them, against the shipped categories."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.services.understanding.categories import load_categories
from bot.services.understanding.commands import Command
from bot.services.understanding.reader import understand
from bot.services.understanding.reports import (
    ParsedReport,
    match_category,
    missing_fields_reply,
    parse_report,
    read_reports,
)
from handlers.dispatcher import ROOT

CATEGORIES_FILE = Path(__file__).parents[3] / "config" / "categories.toml"


CATEGORIES = load_categories(CATEGORIES_FILE)
BY_NAME = {category.name: category for category in CATEGORIES}


def report(
    category: str | None,
    category_text: str | None,
    location: str | None,
    description: str | None = None,
    deadline_text: str | None = None,
    grid_text: str | None = None,
) -> ParsedReport:
    return ParsedReport(
        category=BY_NAME[category] if category else None,
        category_text=category_text,
        location=location,
        description=description,
        deadline_text=deadline_text,
        grid_text=grid_text,
    )


REPORTS = [
    pytest.param(
        "【问题上报】\n类型：散煤\n地点：东关社区3号楼东侧\n描述：居民使用燃煤炉取暖，冒黑烟",
        report("散煤", "散煤", "东关社区3号楼东侧", "居民使用燃煤炉取暖，冒黑烟"),
        id="issue-example",
    ),
    pytest.param(
        "【上报】\n类型：燃煤锅炉\n地点：南关小学锅炉房\n描述：锅炉冒黑烟。",
        report("燃煤锅炉", "燃煤锅炉", "南关小学锅炉房", "锅炉冒黑烟。"),
        id="bracket-short-keyword-keeps-full-stop",
    ),
    pytest.param(
        "上报：类型：散煤；地点：东关社区3号楼；描述：燃煤炉冒黑烟",
        report("散煤", "散煤", "东关社区3号楼", "燃煤炉冒黑烟"),
        id="full-width-semicolons-first-field-on-keyword-line",
    ),
    pytest.param(
        "上报:类型:燃煤锅炉;地点:南关小学;描述:锅炉冒黑烟",
        report("燃煤锅炉", "燃煤锅炉", "南关小学", "锅炉冒黑烟"),
        id="half-width-colons-and-semicolons",
    ),
    pytest.param(
        "#上报 油烟 西街烧烤摊 夜间油烟扰民",
        report("餐饮油烟", "油烟", "西街烧烤摊", "夜间油烟扰民"),
        id="one-line",
    ),
    pytest.param(
        "#上报 工地 北环路与长兴路口工地 未苫盖 裸土扬尘严重",
        report("工地扬尘", "工地", "北环路与长兴路口工地", "未苫盖 裸土扬尘严重"),
        id="one-line-description-keeps-spaces",
    ),
    pytest.param(
        "🔥【上报】🔥\n类型：🔥秸秆焚烧\n地点：王家庄村北麦田⚠️\n描述：有人焚烧秸秆，烟很大",
        report("秸秆焚烧", "秸秆焚烧", "王家庄村北麦田", "有人焚烧秸秆，烟很大"),
        id="emoji-around-keyword-and-values",
    ),
    pytest.param(
        "⚠️⚠️ 问题上报：\n问题类型：渣土车\n位置：建设路中段\n问题描述：渣土车抛洒，路面污染",
        report("渣土车", "渣土车", "建设路中段", "渣土车抛洒，路面污染"),
        id="emoji-lead-and-long-keys",
    ),
    pytest.param(
        "【上报】\n　类型　：　露天喷漆\n　地点：　汽修厂门口\n　描述：　露天喷漆，气味刺鼻　",
        report("露天喷漆", "露天喷漆", "汽修厂门口", "露天喷漆，气味刺鼻"),
        id="ideographic-spaces",
    ),
    pytest.param(
        "【上报】\n类型：散乱污企业\n地点：河湾村东头\n描述：小作坊熔铝\n期限：3个工作日\n网格：河湾村",
        report("散乱污企业", "散乱污企业", "河湾村东头", "小作坊熔铝", "3个工作日", "河湾村"),
        id="deadline-and-grid",
    ),
    pytest.param(
        "#上报\n类型：道路扬尘\n地点：解放路\n时限：11月25日前\n责任网格：解放路街道第二网格",
        report("道路扬尘", "道路扬尘", "解放路", None, "11月25日前", "解放路街道第二网格"),
        id="time-limit-and-responsible-grid-keys",
    ),
    pytest.param(
        "上报\n类型 散煤\n地点 东关社区5号院\n描述 居民烧蜂窝煤\n期限 2天",
        report("散煤", "散煤", "东关社区5号院", "居民烧蜂窝煤", "2天"),
        id="keys-followed-by-space",
    ),
    pytest.param(
        "上报：类型：散煤，地点：东关社区，描述：冒黑烟，味道很大",
        report("散煤", "散煤", "东关社区", "冒黑烟，味道很大"),
        id="commas-between-keyed-fields",
    ),
    pytest.param(
        "#上报 类型：油烟 地点：西街烧烤摊 描述：夜间油烟扰民",
        report("餐饮油烟", "油烟", "西街烧烤摊", "夜间油烟扰民"),
        id="keyed-fields-on-one-line",
    ),
    pytest.param(
        "上报：\n类别：水污染\n地址：护城河南岸排口\n情况：污水直排，水体发黑发臭",
        report("水污染", "水污染", "护城河南岸排口", "污水直排，水体发黑发臭"),
        id="alternative-keys",
    ),
    pytest.param(
        "【上报】\n类型：烧煤取暖\n地点：西关村12号",
        report("散煤", "烧煤取暖", "西关村12号"),
        id="category-by-contained-synonym",
    ),
    pytest.param(
        "【上报】\n类型：露天烧烤摊\n地点：人民路夜市",
        report("餐饮油烟", "露天烧烤摊", "人民路夜市"),
        id="category-longest-synonym",
    ),
    pytest.param(
        "【上报】类型：散煤销售点；地点：城南煤场",
        report("劣质煤销售", "散煤销售点", "城南煤场"),
        id="longest-synonym-beats-shorter-other-category",
    ),
    pytest.param(
        "【上报】类型：黑烟；地点：环城路",
        report("冒黑烟车辆", "黑烟", "环城路"),
        id="category-containing-the-text",
    ),
    pytest.param(
        "【上报】类型：ＶＯＣＳ；地点：家具厂",
        report("露天喷漆", "ＶＯＣＳ", "家具厂"),
        id="category-full-width-any-case",
    ),
    pytest.param(
        "【上报】\n类型：噪音扰民\n地点：建材市场",
        report(None, "噪音扰民", "建材市场"),
        id="unknown-category-text-kept",
    ),
    pytest.param(
        "#上报 噪音 建材市场 夜间施工噪音",
        report(None, "噪音", "建材市场", "夜间施工噪音"),
        id="unknown-category-one-line",
    ),
    pytest.param("【上报】类型：散煤", report("散煤", "散煤", None), id="missing-location"),
    pytest.param(
        "上报：地点：东关社区；描述：有人烧煤",
        report("散煤", "烧煤", "东关社区", "有人烧煤"),
        id="category-found-in-the-description",
    ),
    pytest.param("【上报】", report(None, None, None), id="keyword-only"),
    pytest.param(
        "【上报】\n类型：\n地点：东关社区",
        report(None, None, "东关社区"),
        id="empty-value-is-missing",
    ),
    pytest.param(
        "#上报 东关社区有人烧煤",
        report("散煤", "烧煤", "东关社区", "东关社区有人烧煤"),
        id="free-text-place-and-category-found",
    ),
    pytest.param(
        "【上报】今天巡查发现问题\n类型：物料乱堆\n地点：长兴路料场",
        report("物料乱堆", "物料乱堆", "长兴路料场", "今天巡查发现问题"),
        id="text-before-fields-is-description",
    ),
    pytest.param(
        "上报：\n类型：散煤\n地点：东关社区\n描述：3号楼东侧\n居民使用燃煤炉取暖",
        report("散煤", "散煤", "东关社区", "3号楼东侧\n居民使用燃煤炉取暖"),
        id="description-continues-on-next-line",
    ),
    pytest.param(
        "上报：\n类型：散煤\n地点：东关社区\n描述：烟很大\n情况 已劝导未果",
        report("散煤", "散煤", "东关社区", "烟很大\n情况 已劝导未果"),
        id="repeated-key-stays-in-value",
    ),
    pytest.param(
        "@网格通 上报：类型：秸秆；地点：李村南地",
        report("秸秆焚烧", "秸秆", "李村南地"),
        id="after-mention",
    ),
    pytest.param(
        "@网格通\u2005#上报 烧烤 人民路夜市 露天烧烤",
        report("餐饮油烟", "烧烤", "人民路夜市", "露天烧烤"),
        id="after-wechat-mention-separator",
    ),
    pytest.param(
        "报告：类型：黑加油站\n地点：312国道边流动加油车",
        report("黑加油站", "黑加油站", "312国道边流动加油车"),
        id="report-word-with-fields",
    ),
    pytest.param(
        "报告\n类型：冒黑烟车辆\n地点：环城路",
        report("冒黑烟车辆", "冒黑烟车辆", "环城路"),
        id="report-word-newline-fields",
    ),
    pytest.param(
        "[上报] 劣质煤 城南煤场 销售高硫煤",
        report("劣质煤销售", "劣质煤", "城南煤场", "销售高硫煤"),
        id="square-brackets",
    ),
    pytest.param(
        "#问题上报\n类型：道路扬尘\n地点：解放路\n描述：路面积尘，车过扬尘",
        report("道路扬尘", "道路扬尘", "解放路", "路面积尘，车过扬尘"),
        id="hash-long-keyword",
    ),
    pytest.param(
        "#上报# 渣土 建设路 渣土车未密闭",
        report("渣土车", "渣土", "建设路", "渣土车未密闭"),
        id="topic-hashtag",
    ),
    pytest.param(
        "上报 烧秸秆 赵庄村西 下午有人点火",
        report("秸秆焚烧", "烧秸秆", "赵庄村西", "下午有人点火"),
        id="bare-keyword-one-line-known-category",
    ),
    pytest.param(
        "上报：油烟，西街烧烤摊，夜间油烟扰民，持续一周",
        report("餐饮油烟", "油烟", "西街烧烤摊", "夜间油烟扰民，持续一周"),
        id="one-line-with-commas",
    ),
    pytest.param(
        "〔上报〕类型：露天焚烧垃圾；地点：垃圾中转站",
        report("露天焚烧垃圾", "露天焚烧垃圾", "垃圾中转站"),
        id="tortoise-shell-brackets",
    ),
    pytest.param(
        "【上报】：类型：土壤污染；地点：砖厂后院；描述：倾倒危废",
        report("土壤污染", "土壤污染", "砖厂后院", "倾倒危废"),
        id="colon-after-bracket",
    ),
    pytest.param(
        "［上报］类型：其他；地点：北街；描述：噪音",
        report("其他", "其他", "北街", "噪音"),
        id="full-width-square-brackets",
    ),
    pytest.param(
        "上报：类型：散煤；；地点：东关；",
        report("散煤", "散煤", "东关"),
        id="stray-separators",
    ),
    pytest.param(
        "【上报】\r\n类型：散煤\r\n地点：东关社区\r\n",
        report("散煤", "散煤", "东关社区"),
        id="windows-line-ends",
    ),
    pytest.param(
        "【上报】\n类型：散煤\n地点：东关社区\n描述：烟很大🔥很呛",
        report("散煤", "散煤", "东关社区", "烟很大🔥很呛"),
        id="emoji-inside-value-kept",
    ),
    pytest.param(
        "＃上报　油烟　西街烧烤摊　夜间　油烟扰民",
        report("餐饮油烟", "油烟", "西街烧烤摊", "夜间　油烟扰民"),
        id="full-width-hash-and-spaces",
    ),
    pytest.param(
        "  \n【问题上报】\n类型:\t工地扬尘\n地点:\t滨河新城三期工地\n描述:\t土方作业未洒水",
        report("工地扬尘", "工地扬尘", "滨河新城三期工地", "土方作业未洒水"),
        id="leading-blank-line-and-tabs",
    ),
]


@pytest.mark.parametrize(("text", "expected"), REPORTS)
def test_reads_report(text: str, expected: ParsedReport) -> None:
    assert parse_report(text, CATEGORIES) == expected


CHAT = [
    "我上报过了吗",
    "报告领导，收到",
    "今天上报了三件",
    "上报了吗",
    "上报",
    "上报 一下吧",
    "上报：今日巡查无异常",
    "上报：类型还没定",
    "上报网格员名单",
    "报告：今日巡查完毕，无异常",
    "【报告】东关社区今日巡查完毕",
    "报告 领导 收到",
    "报告\n今天没有发现问题",
    "#上报过了",
    "大家记得按时上报",
    "收到，马上上报",
    "问题上报了没有",
    "上报材料在哪里交？",
    "好的👍",
    "@网格通 你好",
    "这个问题我已经上报",
    "明天统一上报",
    "好的，上报",
    "今天一片区转了两圈，没发现问题，农贸市场都挺规矩",
    "反映个情况，明天开会改到下午",
    "反映的问题已经处理了",
    "",
    "   ",
]


@pytest.mark.parametrize("text", CHAT)
def test_ordinary_chat_is_not_a_report(text: str) -> None:
    assert parse_report(text, CATEGORIES) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("散煤", "散煤"),
        ("烧煤取暖", "散煤"),
        ("油烟", "餐饮油烟"),
        ("锅炉房冒烟", "燃煤锅炉"),
        ("散煤销售", "劣质煤销售"),
        ("vocs", "露天喷漆"),
        (" 工地 ", "工地扬尘"),
        ("加油", "黑加油站"),
    ],
)
def test_matches_category(text: str, expected: str) -> None:
    assert match_category(text, CATEGORIES) == BY_NAME[expected]


@pytest.mark.parametrize("text", ["噪音", "燃煤", "煤", "焚烧", "", "🔥"])
def test_unclear_category_matches_nothing(text: str) -> None:
    # "燃煤" and "焚烧" belong to several categories: guessing would file the wrong ticket.
    assert match_category(text, CATEGORIES) is None


def test_every_configured_word_names_its_own_category() -> None:
    for category in CATEGORIES:
        for word in (category.name, *category.synonyms):
            assert match_category(word, CATEGORIES) == category, word


def test_missing_fields_are_named_in_order() -> None:
    parsed = parse_report("【上报】\n描述：烟很大", CATEGORIES)
    assert parsed is not None
    assert parsed.missing == ("类型", "地点")


def test_missing_fields_reply() -> None:
    parsed = parse_report("【上报】", CATEGORIES)
    assert parsed is not None
    assert missing_fields_reply(parsed) == (
        "上报未成功：缺少类型、地点。请按下面的格式补全后重新发送：\n"
        "【问题上报】\n类型：散煤\n地点：东关社区3号楼东侧\n描述：居民使用燃煤炉取暖，冒黑烟"
    )


def test_missing_location_reply() -> None:
    parsed = parse_report("#上报 油烟", CATEGORIES)
    assert parsed is not None
    assert missing_fields_reply(parsed).startswith("上报未成功：缺少地点。")


def test_missing_fields_reply_needs_something_missing() -> None:
    parsed = parse_report("#上报 油烟 西街", CATEGORIES)
    assert parsed is not None and parsed.missing == ()
    with pytest.raises(ValueError):
        missing_fields_reply(parsed)


def test_an_unknown_category_is_kept_as_written() -> None:
    # The handler files it as 其他 and says so; the words stay on the ticket.
    parsed = parse_report("#上报 噪音 建材市场", CATEGORIES)
    assert parsed is not None
    assert (parsed.category, parsed.category_text, parsed.location) == (None, "噪音", "建材市场")


COMMANDS = [
    ("受理 112201", Command("accept", "112201", "")),
    ("#受理 112201", Command("accept", "112201", "")),
    ("受理　１１２２０１", Command("accept", "112201", "")),
    ("受理112201", Command("accept", "112201", "")),
    ("受理：112201", Command("accept", "112201", "")),
    (
        "办结：112201 已拆除燃煤炉，改用电取暖",
        Command("resolve", "112201", "已拆除燃煤炉，改用电取暖"),
    ),
    ("办结 112201：已处理", Command("resolve", "112201", "已处理")),
    ("办结112201已处理", Command("resolve", "112201", "已处理")),
    ("办结 工单112201 已处理", Command("resolve", "112201", "已处理")),
    ("办结 112201\n已劝导，\n炉具已拆除", Command("resolve", "112201", "已劝导，\n炉具已拆除")),
    ("销号 ab12cd", Command("close", "AB12CD", "")),
    ("销号 112201 核查通过", Command("close", "112201", "核查通过")),
    ("查询 112201", Command("query", "112201", "")),
    ("@网格通 查询 112201", Command("query", "112201", "")),
    ("@网格通\u2005受理 112201", Command("accept", "112201", "")),
    ("✅ 受理 112201", Command("accept", "112201", "")),
    ("受理", Command("accept", None, "")),
    ("办结：", Command("resolve", None, "")),
    ("#办结 已处理完毕", Command("resolve", None, "已处理完毕")),
    ("办结：已处理完毕", Command("resolve", None, "已处理完毕")),
]


@pytest.mark.parametrize(("text", "expected"), COMMANDS)
def test_reads_command(text: str, expected: Command) -> None:
    assert ROOT.grammar.parse(text) == expected


def test_several_codes_are_the_same_commands_tickets() -> None:
    several = ROOT.grammar.parse("112201、112202 和 112203 已办结")
    assert several is not None and several.code == "112201"
    assert several.more == ("112202", "112203")
    one = ROOT.grammar.parse("办结 AB12C3 ab12c3 已清扫")  # one ticket, written twice
    assert one is not None and one.code == "AB12C3" and one.more == ()
    assert one.note == "已清扫"


@pytest.mark.parametrize(
    "text",
    [
        "受理了吗",
        "已经办结了",
        "办结了",
        "我已受理",
        "查询一下",
        "查询天气",
        "受理 一下",
        "办结 已处理",
        "销号2件，办结3件",
        "销号1个",
        "【上报】类型：散煤",
        "",
    ],
)
def test_chat_is_not_a_command(text: str) -> None:
    assert ROOT.grammar.parse(text) is None


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("上报一下有人在西街菜市场门口烧煤球", "西街菜市场门口"),
        ("上报 今天早上在东关桥下发现有人烧垃圾", "东关桥下"),
        ("上报一下 刚才路过建设路口看到渣土车抛洒", "建设路口"),
        ("上报 有人在河里倒污水 地点在白水河西关桥下", "白水河西关桥下"),
        ("上报一下这个问题：东关街3号楼居民烧煤", "东关街3号楼"),
        ("#上报 西街烧烤摊 油烟 晚上扰民", "西街烧烤摊"),
        ("上报 村口小卖部门口有人烧垃圾", "村口小卖部门口"),
        ("#上报 村口小桥边粪水直排", "村口小桥边"),
        # A category's word that is part of the place stays in it; one the place ran into
        # does not.
        ("上报 东关社区锅炉房烟囱冒黑烟", "东关社区锅炉房"),
        ("上报 学校锅炉房冒黑烟", "学校锅炉房"),
        ("上报 东关街洗车房污水直排", "东关街洗车房"),
        ("上报 北石店村砖厂烟囱冒黑烟", "北石店村砖厂"),
        ("上报 北环路边倾倒建筑垃圾", "北环路边"),
        ("上报 李家营劣质煤销售点", "李家营"),
        ("上报 一中对过澡堂子茶浴炉冒黑烟", "一中对过澡堂子"),
        # a template line without 类型, and one that goes on after the place
        ("【上报】地点：石桥村村口 农用车冒黑烟", "石桥村村口"),
        ("类型:餐饮油烟 地点:北关十字路口 问题:烧烤摊油烟大", "北关十字路口"),
        ("【上报】地点：东关街 12号院 锅炉冒黑烟", "东关街 12号院"),
        # what the review found those rules must not do
        ("上报 烧烤摊 还在营业 东关街18号", "东关街18号"),  # 营业 is no village
        ("#上报 油烟 东关街38号的饭店 油烟直排", "东关街38号的饭店"),
        ("#上报 散煤 东关社区居民楼", "东关社区居民楼"),
        ("上报 幸福路工地扬尘严重", "幸福路工地"),
        ("上报 新华路渣土车抛洒到路口", "新华路"),
        ("家家乐超市门口有人烧垃圾，上报", "家家乐超市门口"),
    ],
)
def test_the_place_in_free_text_is_just_the_place(text: str, place: str) -> None:
    parsed = parse_report(text, CATEGORIES)
    assert parsed is not None and parsed.location == place


@pytest.mark.parametrize(
    ("text", "places"),
    [
        ("东关街菜市场门口有人烧垃圾，上报", ["东关街菜市场门口"]),
        ("村口小桥边有人倒建筑垃圾 上报", ["村口小桥边"]),
        (
            "今天巡查发现两个问题：1.东关街12号门口有人烧垃圾 2.西街菜市场油烟扰民",
            ["东关街12号门口", "西街菜市场"],
        ),
        ("反映个情况 村口小卖部后面有人烧秸秆", ["村口小卖部后面"]),
        ("反映一下，吕匠村北边玉米地有人焚烧秸秆", ["吕匠村北边玉米地"]),
    ],
)
def test_reports_in_other_words_people_use(text: str, places: list[str]) -> None:
    """A bare 上报 set apart at the end, 「发现两个问题：」 and 「反映个情况」 open a report."""
    reports = read_reports(text, CATEGORIES)
    assert reports is not None
    assert [r.location for r in reports] == places
    assert all(r.category is not None for r in reports)


def test_a_synonym_beats_a_symptom_word() -> None:
    parsed = parse_report("上报 东关街12号 烧煤 冒黑烟", CATEGORIES)
    assert parsed is not None and parsed.category == BY_NAME["散煤"]
    typo = parse_report("上报一下东关街12号院有人烧媒炉子冒黑烟", CATEGORIES)
    assert typo is not None and typo.category == BY_NAME["散煤"]


@pytest.mark.parametrize(
    ("text", "tickets"),
    [
        (
            "上报 东关街有人烧垃圾，还有西街烧烤摊油烟很大",
            [("露天焚烧垃圾", "东关街"), ("餐饮油烟", "西街烧烤摊")],
        ),
        (
            "上报 东关街有人烧垃圾。另外，西关桥下有人倒废机油",
            [("露天焚烧垃圾", "东关街"), ("土壤污染", "西关桥下")],
        ),
        # Another problem at the same place takes that place.
        (
            "东关街有人烧垃圾，还有人在烧秸秆 上报一下",
            [("露天焚烧垃圾", "东关街"), ("秸秆焚烧", "东关街")],
        ),
        # More of the same problem, or no problem named after 还有, is one ticket.
        ("上报 东关街有人烧垃圾，还有烧塑料的", [("露天焚烧垃圾", "东关街")]),
        ("上报 东关街有人烧垃圾，还有很多烟", [("露天焚烧垃圾", "东关街")]),
        ("上报 三组路口堆放垃圾", [("露天焚烧垃圾", "三组路口")]),
    ],
)
def test_a_second_problem_run_on_after_还有_is_a_ticket_of_its_own(
    text: str, tickets: list[tuple[str, str]]
) -> None:
    reports = read_reports(text, CATEGORIES)
    assert reports is not None
    assert [(r.category.name if r.category else None, r.location) for r in reports] == tickets


@pytest.mark.parametrize(
    ("text", "tickets"),
    [
        ("上报，西环路上有挖掘机冒黑烟，在修管道", [("冒黑烟车辆", "西环路上")]),
        ("上报：南环路收费站附近一辆拖拉机冒黑烟严重", [("冒黑烟车辆", "南环路收费站附近")]),
        ("上报 红星农机站装载机冒黑烟 已拍照", [("冒黑烟车辆", "红星农机站")]),
        ("上报！！！ 七里河村东沟有人偷排污水 水都黑了", [("水污染", "七里河村东沟")]),
        (
            "上报一下那个就是咱们河西社区幸福小区南门那块有人喷漆",
            [("露天喷漆", "河西社区幸福小区南门")],
        ),
        ("网格通你好我要上报一个问题，杏花村二组有人烧垃圾", [("露天焚烧垃圾", "杏花村二组")]),
        ("我上报一下哈 杏花村二组有人烧稻草", [("秸秆焚烧", "杏花村二组")]),
        (
            "【上报】今天巡查发现两个问题：\n一、红旗路工地没开喷淋\n二、红旗路东段路面积尘严重",
            [("工地扬尘", "红旗路工地"), ("道路扬尘", "红旗路东段")],
        ),
        (
            "反映两个情况，一个是解放路烧烤摊油烟大，一个是解放路口有黑加油车",
            [("餐饮油烟", "解放路烧烤摊"), ("黑加油站", "解放路口")],
        ),
        (
            "上报一下今天发现两个问题第一个是金凤小区门口有人烧树叶第二个是小区后面工地土方没有盖",
            [("露天焚烧垃圾", "金凤小区门口"), ("工地扬尘", "小区后面工地")],
        ),
        (
            "@网格通 上报两个事：府前街烧烤油烟扰民；府前街北口路面浮土多",
            [("餐饮油烟", "府前街"), ("道路扬尘", "府前街北口")],
        ),
    ],
)
def test_places_stop_where_the_problem_starts_and_lists_are_cut(
    text: str, tickets: list[tuple[str, str]]
) -> None:
    reports = read_reports(text, CATEGORIES)
    assert reports is not None
    assert [(r.category.name if r.category else None, r.location) for r in reports] == tickets


@pytest.mark.parametrize(
    ("text", "verb"),
    [
        ("上报一下，杏花村今日无秸秆焚烧", "zero_report"),
        ("【上报】今天巡查情况：杏花村全村巡查完毕，无异常", "zero_report"),
        ("@网格通 今天没发现烧秸秆的", "zero_report"),
        ("给领导上报一下，散煤清零工作已经完成", None),
        ("上报：本周共劝导烧烤摊3家，均已整改", None),
        ("上报一下进度：秸秆禁烧巡查已完成百分之八十", None),
    ],
)
def test_a_keyworded_message_that_reports_nothing_opens_no_ticket(
    text: str, verb: str | None
) -> None:
    """A zero report (无异常, 未发现) is recorded as one; work done or progress is chat."""
    meaning = understand(text, CATEGORIES, ROOT.grammar, mentions_bot="@网格通" in text)
    if verb is None:
        assert meaning is None
    else:
        assert meaning is not None and meaning.command is not None
        assert meaning.command.verb == verb and not meaning.reports
    for report_text in (
        "上报 东关街有人烧垃圾，其他正常",
        "【问题上报】类型：工地扬尘 地点：东关街工地 描述：现场未见苫盖，扬尘严重",
        "上报一下，西关村麦地焚烧秸秆，现场未发现人员",
        "上报 东关街17号院居民烧煤取暖，上次已报过一次，仍未整改",
    ):
        meaning = understand(report_text, CATEGORIES, ROOT.grammar)
        assert meaning is not None and meaning.reports, report_text


@pytest.mark.parametrize(
    ("text", "category", "place"),
    [
        # No 有人 and no smoke word: what is burning, and where, is enough.
        ("307国道北石店段路边烧秸秆 烟把路都挡了", "秸秆焚烧", "307国道北石店段路边"),
        ("村东头老王家门口烧玉米秆", "秸秆焚烧", "村东头老王家门口"),
        ("前屯村口好几个人在那烧麦秆", "秸秆焚烧", "前屯村口"),
        ("秸杆焚烧 刘村南地", "秸秆焚烧", "刘村南地"),
        ("前进路中段渣土车抛洒", "渣土车", "前进路中段"),
        ("赵村养猪场粪水直接往沟里排", "水污染", "赵村养猪场"),
        ("中学门口那个炸串的油烟大", "餐饮油烟", "中学门口"),
        ("幸福小区５号楼２单元门口有人烧纸壳子", "露天焚烧垃圾", "幸福小区５号楼２单元门口"),
        # 呢 and 咋回事 tell here; they ask nothing.
        ("城南砖厂烟囱冒黑烟呢[捂脸]", "燃煤锅炉", "城南砖厂"),
        ("镇政府对面加油车在那给人加油呢", "黑加油站", "镇政府对面"),
        ("咋回事 二号桥底下又有死鱼了 水发黑", "水污染", "二号桥底下"),
        # Northern place names: 营, 庄, 集上, 开发区, 对过.
        ("李家营有个卖煤的 拉了一车劣质煤在那卖", "劣质煤销售", "李家营"),
        ("那个加油车又来了 在张庄集上", "黑加油站", "张庄集上"),
        ("开发区那个小作坊又偷着熔铝了", "散乱污企业", "开发区"),
        ("那啥 南街早市那有卖便宜煤的", "劣质煤销售", "南街早市"),
        ("水库边上有人倒垃圾 一大堆", "露天焚烧垃圾", "水库边上"),
        # 不是 and 没人 inside a report are no denial
        ("北街那个锅炉房冒黑烟 不是第一次了", "燃煤锅炉", "北街"),
        ("村口有人烧垃圾，没人看着", "露天焚烧垃圾", "村口"),
        ("老刘家院里烧树枝子呢 冒好大烟", "露天焚烧垃圾", "老刘家院里"),
        ("郭庄村头地里烧稻草呢快去个人", "秸秆焚烧", "郭庄村头地里"),
        ("那个废品站院里一堆废机油桶 往地里渗", "土壤污染", "废品站院里"),
        ("我看那个幸福小区工地围挡都倒了 也没洒水", "工地扬尘", "幸福小区工地"),
        ("镇东边采砂场 没有喷淋 尘土飞扬", "工地扬尘", "镇东边采砂场"),
        ("宋庄西头 私自加油的那个又开了", "黑加油站", "宋庄西头"),
        ("幸福小区门口工地大车带泥上路", "渣土车", "幸福小区门口工地"),
    ],
)
def test_a_problem_told_in_passing_as_people_type_it(text: str, category: str, place: str) -> None:
    meaning = understand(text, CATEGORIES, ROOT.grammar)
    assert meaning is not None and meaning.passing, text
    first = meaning.passing[0]
    assert first.category is not None
    assert (first.category.name, first.location) == (category, place)


@pytest.mark.parametrize(
    "text",
    [
        "烧秸秆罚多少钱啊",
        "今日无秸秆焚烧",
        "俺们这块儿都改气了 没人烧煤了",
        "刚才说的那个冒黑烟的车已经走了",
        "那个火灭了 是烧的麦秸 已经教育了",
        "刚才那个不是烧秸秆 是人家烧纸上坟",
        "烧煤取暖的政策是啥 能不能烧兰炭",
        "看到有烧秸秆的别光拍照 先劝灭再说",
        "烧烤摊晚上又出来了，明天上报",
        "东关街那家烧煤的处理的呢",  # asks after a case
        "我家门口那棵树倒了",
        "明天开会 时间:周三上午 地点:镇政府三楼会议室 问题:秸秆焚烧工作推进",
        "地点：镇政府会议室 问题：各村散煤治理情况汇报",
        "刚去楼下倒垃圾",
        "工地上几个人在干活",
        "幸福路工地验收往后排",
        "村口有人收纸壳子",
    ],
)
def test_talk_about_a_problem_is_not_asked_about(text: str) -> None:
    assert understand(text, CATEGORIES, ROOT.grammar) is None, text


@pytest.mark.parametrize(
    ("text", "verb", "code", "note"),
    [
        # the decision in words after the code: not the request it names first
        ("120401 申诉不成立 继续处置", "reject_appeal", "120401", "继续处置"),
        ("120401 申诉成立", "uphold_appeal", "120401", None),
        ("120401 督办取消", "unsupervise", "120401", None),
        ("120401 延期同意", "grant_extension", "120401", None),
        ("申述 120401 不属于本网格", "appeal", "120401", "不属于本网格"),  # as often typed
        ("120401已经拆除了", "resolve", "120401", "已经拆除"),
        ("@网格通 120401 已处理完毕", "resolve", "120401", "已处理完毕"),
        ("上报一下，今日巡查无异常", "zero_report", None, None),
        ("撤销督办 120401", "unsupervise", "120401", None),
        # what happened to it first, then what is done now
        ("120401 被退回后已整改", "resolve", "120401", None),
        ("受理的工单 120401 已办结", "resolve", "120401", None),
        ("120401 已清理的很干净", "resolve", "120401", None),
        ("120401 办结过程见照片", "resolve", "120401", None),
        ("120401 上次申诉无效，这次已经整改到位", "resolve", "120401", None),
        ("上报一下，120401已整改，复查无异常", "resolve", "120401", None),
        ("120401现场看过了没问题，销号吧", "close", "120401", None),  # 吧 suggests here
    ],
)
def test_commands_as_staff_type_them(
    text: str, verb: str, code: str | None, note: str | None
) -> None:
    meaning = understand(text, CATEGORIES, ROOT.grammar, mentions_bot="@网格通" in text)
    assert meaning is not None and meaning.command is not None, text
    command = meaning.command
    assert (command.verb, command.code) == (verb, code)
    if note is not None:
        assert command.note == note


def test_codes_parted_by_a_slash_are_each_meant() -> None:
    several = ROOT.grammar.parse("120401/120402已受理")
    assert several is not None and several.verb == "accept"
    assert (several.code, several.more) == ("120401", ("120402",))


@pytest.mark.parametrize(
    "text",
    [
        "120401 已经整改过一次了，又被退回了",  # what happened to it, not a command
        "报告，吕匠村今日无火点",
        # decisions only right after the code, as whole words
        "120401 申诉成立与否要等区里定",
        "120401 如果申诉不成立就继续整改",
        "120401 延期同意书已上传",
        "120401 撤销督办要走什么流程",
        # someone's word for it, or half done
        "120401 商户说已经整改了但现场还有油烟",
    ],
)
def test_what_happened_to_a_ticket_is_no_command(text: str) -> None:
    assert understand(text, CATEGORIES, ROOT.grammar) is None, text


def test_half_done_is_no_resolution() -> None:
    """「120401 已经清理了一半」 gets the ticket's status, not 办结."""
    meaning = understand("120401 已经清理了一半", CATEGORIES, ROOT.grammar)
    assert meaning is not None and meaning.command is not None
    assert meaning.command.verb == "query"


def test_templates_one_after_another_are_each_a_problem() -> None:
    """Two 类型/地点 templates in one message, without numbers: two tickets, not one with the
    second inside the first one's last field."""
    text = (
        "【问题上报】\n类型：散煤\n地点：前进村一组张三家\n描述：烧煤取暖\n\n"
        "类型：秸秆焚烧\n地点：前进村北头\n描述：地头烧秸秆"
    )
    reports = read_reports(text, CATEGORIES)
    assert reports is not None
    assert [(r.category.name if r.category else None, r.location) for r in reports] == [
        ("散煤", "前进村一组张三家"),
        ("秸秆焚烧", "前进村北头"),
    ]


@pytest.mark.parametrize(
    ("text", "verb"),
    [
        ("#上报 今日零报告", "zero_report"),
        ("上报一下 今天东关街巡查两遍 没有烧煤的 也没有烧垃圾的", "zero_report"),
        ("上报，东关社区煤改电入户核查完成，无返烧", "zero_report"),
        ("上报，昨天上报的东关街烧垃圾那个已经处理完了", None),
        ("上报 本周累计巡查12次，劝阻焚烧秸秆2起，已全部熄灭", None),
        ("上报 已按要求对沿河路段垃圾清理完毕", None),
    ],
)
def test_zero_reports_and_progress_as_staff_write_them(text: str, verb: str | None) -> None:
    meaning = understand(text, CATEGORIES, ROOT.grammar)
    if verb is None:
        assert meaning is None, text
    else:
        assert meaning is not None and meaning.command is not None, text
        assert meaning.command.verb == verb


def test_a_deadline_within_the_day() -> None:
    parsed = parse_report("上报 东关街有人烧垃圾，今天之内处理", CATEGORIES)
    assert parsed is not None and parsed.deadline_text == "今天之内"


@pytest.mark.parametrize(
    ("text", "category", "place"),
    [
        # the longer everyday word decides between two categories' words
        (
            "【问题上报】南环路与建设路交叉口工地没有苫盖，扬尘严重",
            "工地扬尘",
            "南环路与建设路交叉口工地",
        ),
        ("上报：朝阳路与建设路路口有大货车未密闭撒漏沙石", "渣土车", "朝阳路与建设路路口"),
        ("上报：新民路东段路边有人摆摊卖蜂窝煤", "劣质煤销售", "新民路东段路边"),
        ("上报 南郊养殖小区死猪扔到河里了", "水污染", "南郊养殖小区"),
    ],
)
def test_which_category_when_two_are_named(text: str, category: str, place: str) -> None:
    parsed = parse_report(text, CATEGORIES)
    assert parsed is not None and parsed.category is not None
    assert (parsed.category.name, parsed.location) == (category, place)
