"""The sweep job: every sweep runs, a broken one spoils nothing else, a repeat sends nothing."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from bot.services.runtime import Runtime
from scheduler import jobs
from scheduler.jobs import run_sweeps
from tests.harness import Harness, Sent

GROUPS = {"区平台群", "一镇群", "二镇群", "一村群", "二村群"}
# 巡查员辛's 散煤 report is due after 48 h; at 49 h it is also past the day's 08:30 briefing.
OVERDUE = timedelta(hours=49)


@pytest.fixture
def bot(engine: Engine) -> Harness:
    return Harness.on(engine)


def pings(sent: list[Sent]) -> list[Sent]:
    return [s for s in sent if s.text.startswith("【超期提醒")]


def briefings(sent: list[Sent]) -> list[Sent]:
    return [s for s in sent if s.text.startswith("【每日简报】")]


def test_one_run_sends_the_overdue_ping_and_the_briefings(bot: Harness) -> None:
    code = bot.report("一村群", "巡查员辛")
    sent = bot.tick(OVERDUE)
    [ping] = pings(sent)
    assert (ping.room, ping.mentions) == ("一村群", ("村书记戊",))
    assert code in ping.text
    assert {b.room for b in briefings(sent)} == GROUPS
    # And the reminder that the ticket was never 受理'd (its head, once).
    [other] = [s for s in sent if s not in pings(sent) + briefings(sent)]
    assert other.text.startswith(f"【待受理】工单 {code}") and other.mentions == ("片长庚",)


SENT_BY = {"escalation": pings, "briefing": briefings}
# What each sweep sends at OVERDUE: the one ping, and one briefing per bound group.
COUNT = {"escalation": 1, "briefing": len(GROUPS)}


@pytest.mark.parametrize(
    ("broken", "working"), [("escalation", "briefing"), ("briefing", "escalation")]
)
def test_a_failing_sweep_does_not_stop_the_others(
    bot: Harness,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    broken: str,
    working: str,
) -> None:
    bot.report("一村群", "巡查员辛")
    bot.clock.advance(OVERDUE)

    def boom(runtime: Runtime) -> list[int]:
        raise RuntimeError("database went away")

    caplog.set_level(logging.ERROR, logger=jobs.__name__)
    with monkeypatch.context() as patch:
        patch.setitem(jobs.SWEEPS, broken, boom)
        sent = bot.tick()
    assert len(SENT_BY[working](sent)) == COUNT[working]
    assert len(SENT_BY[broken](sent)) == 0  # nothing of the broken sweep's
    [record] = [r for r in caplog.records if r.name == jobs.__name__]
    assert record.levelno == logging.ERROR
    assert record.getMessage() == f"sweep {broken} failed"
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == "database went away"
    # Nothing is lost: the next wake, with the sweep working again, sends what it missed.
    retried = bot.tick()
    assert len(SENT_BY[broken](retried)) == COUNT[broken]
    assert len(SENT_BY[working](retried)) == 0


def test_running_twice_at_the_same_moment_sends_each_thing_once(bot: Harness) -> None:
    bot.report("一村群", "巡查员辛")
    first = bot.tick(OVERDUE)
    assert len(pings(first)) == 1
    assert len(briefings(first)) == len(GROUPS)
    assert run_sweeps(bot.runtime) == []  # queues nothing new
    assert bot.tick() == []
    assert bot.flush() == []  # and nothing is left waiting in the outbox either
