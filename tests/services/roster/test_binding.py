"""System notices to the level-1 groups: the sends of uncertain outcome, listed once."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.services.roster import binding
from tests.harness import Harness


def test_sends_of_uncertain_outcome_are_listed_to_the_admins_once(engine: Engine) -> None:
    bot = Harness.on(engine)
    stuck = [(7, "一村群", "工单 112201 已受理（片长庚）。\n请在 11月24日 10:00 前办结。")]
    queued = binding.announce_unknown(bot.runtime, stuck)
    [notice] = bot._deliver(queued)
    assert notice.room == "区平台群" and notice.mentions == ("管理员乙",)
    assert notice.text.startswith("【系统通知】机器人中断时有 1 条消息正在发送，无法确认是否已发出")
    assert "· 一村群：工单 112201 已受理（片长庚）。 请在 11月24日" in notice.text
    assert binding.announce_unknown(bot.runtime, stuck) == []  # once
    assert binding.announce_unknown(bot.runtime, []) == []
