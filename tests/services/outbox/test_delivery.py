"""Delivery respects WeChat's limits: a budget per minute, a gap per group, urgent first."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import col

from bot.adapters.simulator import SimulatorTransport
from bot.core.messages import Inbound
from bot.services.outbox import queue as outbox
from bot.services.outbox.delivery import Deliverer, RateLimiter
from bot.services.outbox.queue import PRIORITY_BRIEFING, PRIORITY_REPLY, Draft
from models.tables import Outbox
from tests.harness import Harness


async def ignore(_: Inbound) -> None:
    return None


Setup = tuple[Harness, SimulatorTransport, Deliverer]


@pytest.fixture
async def setup(engine: Engine) -> Setup:
    bot = Harness.on(engine)
    chat = SimulatorTransport(bot.clock)
    await chat.start(ignore)
    limiter = RateLimiter(bot.clock, per_minute=20, chat_gap_seconds=1.0)
    return bot, chat, Deliverer(bot.runtime, chat, limiter)


def queue(bot: Harness, drafts: list[Draft]) -> None:
    with bot.runtime.transaction() as session:
        outbox.enqueue(session, drafts, bot.clock.now())


async def test_one_message_a_second_per_group_and_twenty_a_minute(setup: Setup) -> None:
    bot, chat, deliverer = setup
    rooms = [f"群{n}" for n in range(30)]
    queue(
        bot,
        [Draft(key=f"b{r}{i}", text=f"{r} 第{i}条", room_topic=r) for r in rooms for i in range(2)],
    )
    assert await deliverer.run_once() == 20  # the minute's budget, one per group
    assert len({line.room_topic for line in chat.history()}) == 20
    bot.clock.advance(timedelta(seconds=30))
    assert await deliverer.run_once() == 0  # budget spent for this minute
    bot.clock.advance(timedelta(seconds=31))
    assert await deliverer.run_once() == 20
    bot.clock.advance(timedelta(minutes=1))
    assert await deliverer.run_once() == 10  # groups 20-29: their first message only
    assert await deliverer.run_once() == 0  # their second must wait a second
    bot.clock.advance(timedelta(seconds=1))
    assert await deliverer.run_once() == 10
    assert len(chat.history()) == 60
    # Never two messages into one group within a second.
    by_room: dict[str | None, list] = {}
    for line in chat.history():
        by_room.setdefault(line.room_topic, []).append(line.at)
    for times in by_room.values():
        assert all(b - a >= timedelta(seconds=1) for a, b in pairwise(times))


async def test_replies_go_before_briefings(setup: Setup) -> None:
    bot, chat, deliverer = setup
    queue(
        bot,
        [
            Draft(key=f"brief{n}", text=f"简报{n}", room_topic=f"群{n}", priority=PRIORITY_BRIEFING)
            for n in range(25)
        ],
    )
    queue(bot, [Draft(key="r", text="已登记工单", room_topic="群0", priority=PRIORITY_REPLY)])
    await deliverer.run_once()
    assert chat.history()[0].text == "已登记工单"


async def test_everything_is_delivered_once_in_the_end(setup: Setup, engine: Engine) -> None:
    bot, chat, deliverer = setup
    queue(bot, [Draft(key=f"m{i}", text=f"第{i}条", room_topic="一村群") for i in range(5)])
    for _ in range(10):
        await deliverer.run_once()
        bot.clock.advance(timedelta(seconds=1))
    assert [line.text for line in chat.history()] == [f"第{i}条" for i in range(5)]
    with engine.connect() as c:
        assert set(c.execute(select(col(Outbox.status))).scalars()) == {"sent"}


async def test_an_unknown_group_fails_for_good_and_does_not_block_others(
    setup: Setup, engine: Engine
) -> None:
    bot, chat, deliverer = setup
    chat.rooms = {"一村群"}
    queue(
        bot,
        [
            Draft(key="x", text="迷路", room_topic="不存在的群"),
            Draft(key="y", text="正常", room_topic="一村群"),
        ],
    )
    await deliverer.run_once()
    assert [line.text for line in chat.history()] == ["正常"]
    with engine.connect() as c:
        rows = dict(c.execute(select(col(Outbox.dedupe_key), col(Outbox.status))).all())
    assert rows == {"x": "failed", "y": "sent"}
