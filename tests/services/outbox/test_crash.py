"""Exactly once across a crash: a message never goes out twice, and what a dead process had
claimed but not begun to send goes out within seconds of the restart, not after the lease.

A "crash" here is a process that claimed (and perhaps began) a send and then vanished: its
rows are left as the database holds them, and a new deliverer starts on the same database.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.adapters.simulator import SimulatorTransport
from bot.core.messages import Inbound
from bot.services.outbox import queue as outbox
from bot.services.outbox.delivery import STUCK_AFTER, Deliverer, RateLimiter
from bot.services.outbox.queue import Draft
from bot.services.outbox.states import Delivery
from models.tables import Outbox
from tests.harness import Harness


async def ignore(_: Inbound) -> None:
    return None


@pytest.fixture
async def bot(engine: Engine) -> Harness:
    harness = Harness.on(engine)
    with harness.runtime.transaction() as session:
        outbox.enqueue(
            session, [Draft(key="r1", text="工单已受理", room_topic="一村群")], harness.clock.now()
        )
    return harness


async def fresh_deliverer(bot: Harness) -> tuple[Deliverer, SimulatorTransport, list[object]]:
    chat = SimulatorTransport(bot.clock)
    await chat.start(ignore)
    unknown: list[object] = []
    limiter = RateLimiter(bot.clock, per_minute=20, chat_gap_seconds=0)
    return Deliverer(bot.runtime, chat, limiter, on_unknown=unknown.extend), chat, unknown


def status(bot: Harness) -> str:
    with bot.runtime.transaction() as session:
        return str(session.exec(select(Outbox.status)).one())


async def test_claimed_but_not_begun_goes_out_at_once_after_a_restart(bot: Harness) -> None:
    with bot.runtime.transaction() as session:
        assert outbox.claim(session, bot.clock.now())  # the dead process's claim
    deliverer, chat, unknown = await fresh_deliverer(bot)
    deliverer.recover()
    assert await deliverer.run_once() == 1  # same moment: no waiting out the lease
    assert [line.text for line in chat.history()] == ["工单已受理"]
    assert status(bot) == Delivery.SENT and unknown == []


async def test_a_send_that_had_begun_is_never_resent_and_the_admins_are_told(
    bot: Harness,
) -> None:
    with bot.runtime.transaction() as session:
        [claimed] = outbox.claim(session, bot.clock.now())
        assert outbox.begin(session, claimed, bot.clock.now())  # then the process died
    deliverer, chat, unknown = await fresh_deliverer(bot)
    deliverer.recover()
    assert await deliverer.run_once() == 0
    bot.clock.advance(outbox.CLAIM_LEASE + STUCK_AFTER)
    assert await deliverer.run_once() == 0
    assert chat.history() == []  # not sent again, even after the lease and the grace
    assert status(bot) == Delivery.UNKNOWN
    assert unknown == [(claimed.outbox_id, "一村群", "工单已受理")]
    bot.clock.advance(timedelta(hours=1))
    assert await deliverer.run_once() == 0 and len(unknown) == 1  # reported once


async def test_a_claim_taken_back_by_a_restart_is_sent_once(bot: Harness) -> None:
    with bot.runtime.transaction() as session:
        [slow] = outbox.claim(session, bot.clock.now())  # a live process, about to send
    deliverer, chat, _ = await fresh_deliverer(bot)
    deliverer.recover()  # another process starts and takes the unbegun claim back
    assert await deliverer.run_once() == 1
    with bot.runtime.transaction() as session:
        assert not outbox.begin(session, slow, bot.clock.now())  # the slow one must not send
    assert [line.text for line in chat.history()] == ["工单已受理"]
