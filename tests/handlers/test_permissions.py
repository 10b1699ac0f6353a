"""Who may do what to a ticket: role × command × place in the grid tree, every cell.

The ticket is in 一村一片 (level 4), reported by 巡查员辛. The README's permission table is
the same table.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.services.tickets import texts as ticket_texts
from tests.harness import Harness

ROSTER = Path(__file__).parents[1] / "data" / "roster_admins.csv"

# (who, their role and place relative to the ticket's grid)
PEOPLE = {
    "巡查员辛": "网格员, same grid, the reporter",
    "巡查员申": "网格员, same grid",
    "片长庚": "网格长, same grid",
    "村书记戊": "网格长, parent",
    "第一书记己": "第一网格长, parent",
    "副镇长丁": "副网格长, grandparent",
    "区长甲": "网格长, level 1",
    "管理员乙": "管理员, level 1",
    "工地负责人壬": "网格长, a grid below",
    "片长癸": "网格长, a sibling grid",
    "村书记丑": "网格长, another town",
    "村管理员午": "管理员, another town's village",
}
STAFF = {
    "巡查员辛",
    "巡查员申",
    "片长庚",
    "村书记戊",
    "第一书记己",
    "副镇长丁",
    "区长甲",
    "管理员乙",
}
VIEWERS = STAFF  # the reporter is staff here too
VERIFIERS = {"村书记戊", "第一书记己", "副镇长丁", "区长甲", "管理员乙"}
ALLOWED = {"受理": STAFF, "办结": STAFF, "销号": VERIFIERS, "查询": VIEWERS, "照片": VIEWERS}
ALLOWED["更正"] = VIEWERS
OWN = {"巡查员辛", "巡查员申", "片长庚", "管理员乙"}  # the ticket's own grid, admins above
HEADS = {"片长庚", "村书记戊", "第一书记己", "副镇长丁", "区长甲", "管理员乙"}
LEADERS = {"副镇长丁", "区长甲", "管理员乙"}  # heads at level 1 or 2 above, admins
ALLOWED |= {"上报上级": OWN, "延期": OWN, "申诉": OWN, "交办": HEADS}
ALLOWED |= {"退回": VERIFIERS, "同意延期": VERIFIERS, "督办": LEADERS, "驳回申诉": LEADERS}
REFUSALS = {
    "受理": ticket_texts.NOT_ALLOWED_ACCEPT,
    "办结": ticket_texts.NOT_ALLOWED_RESOLVE,
    "销号": ticket_texts.NOT_ALLOWED_CLOSE,
    "查询": ticket_texts.NOT_ALLOWED_QUERY,
    "照片": ticket_texts.NOT_ALLOWED_QUERY,
    "更正": ticket_texts.NOT_ALLOWED_CORRECT,
    "上报上级": ticket_texts.NOT_ALLOWED_HAND_UP,
    "延期": ticket_texts.NOT_ALLOWED_EXTEND,
    "申诉": ticket_texts.NOT_ALLOWED_APPEAL,
    "交办": ticket_texts.NOT_ALLOWED_ASSIGN,
    "退回": ticket_texts.NOT_ALLOWED["return"],
    "同意延期": ticket_texts.NOT_ALLOWED_DECIDE_EXTENSION,
    "督办": ticket_texts.NOT_ALLOWED_SUPERVISE,
    "驳回申诉": ticket_texts.NOT_ALLOWED_DECIDE_APPEAL,
}
# What must happen first, said by the district admin: (command, text after the code).
SETUP = {
    "销号": "办结 {code} 已处理",
    "退回": "办结 {code} 已处理",
    "同意延期": "延期 {code} 2天 等车",
    "驳回申诉": "申诉 {code} 不属于本网格",
}
# A request is made by the reporter (of the ticket's own grid): nobody decides their own.
REQUESTS = {"同意延期", "驳回申诉"}
ROOM_OF = {
    "工地负责人壬": "一村群",
    "片长癸": "一村群",
    "村书记丑": "二村群",
    "村管理员午": "二村群",
    "副镇长丁": "一镇群",
    "区长甲": "区平台群",
    "管理员乙": "区平台群",
}


@pytest.fixture
def bot(engine: Engine) -> Harness:
    return Harness.on(engine, roster_file=ROSTER)


def _text(command: str, code: str) -> str:
    return {
        "办结": f"办结 {code} 已处理",
        "更正": f"更正 {code} 描述：补充说明",
        "上报上级": f"上报上级 {code} 本级无法处置",
        "延期": f"延期 {code} 2天 等车",
        "申诉": f"申诉 {code} 不属于本网格",
        "交办": f"交办 {code} 一村工地",
        "退回": f"退回 {code} 不合格",
        "驳回申诉": f"驳回申诉 {code} 属于本网格",
    }.get(command, f"{command} {code}")


@pytest.mark.parametrize("command", list(ALLOWED))
def test_every_cell_of_the_permission_table(bot: Harness, command: str) -> None:
    for who in PEOPLE:
        code = bot.report("一村群", "巡查员辛", category="道路扬尘")  # no 整改后 photo needed
        if command in SETUP:
            room, who = ("一村群", "巡查员辛") if command in REQUESTS else ("区平台群", "管理员乙")
            bot.say(room, who, SETUP[command].format(code=code))
        # The first reply answers the sender; 办结 also asks the verifier in their group.
        reply = bot.say(ROOM_OF.get(who, "一村群"), who, _text(command, code))[0]
        refusal = REFUSALS[command].format(code=code, grid="一村一片")
        if who in ALLOWED[command]:
            assert reply.text != refusal, (command, who, PEOPLE[who])
            assert "不能" not in reply.text and "只有" not in reply.text, (command, who)
        else:
            assert reply.text == refusal, (command, who, PEOPLE[who], reply.text)
