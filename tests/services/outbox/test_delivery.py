"""Delivery respects WeChat's limits: a budget per minute, a gap per group, urgent first."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col

from bot.adapters.simulator import SimulatorTransport
from bot.core.messages import Inbound, Outgoing
from bot.services.outbox import queue as outbox
from bot.services.outbox.delivery import STUCK_AFTER, Deliverer, RateLimiter
from bot.services.outbox.queue import PRIORITY_BRIEFING, PRIORITY_REPLY, Draft
from handlers.dispatcher import Dispatcher, Handled
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


def report_in(bot: Harness, room: str, who: str, place: str) -> Inbound:
    text = f"【问题上报】\n类型：散煤\n地点：{place}\n描述：居民燃煤取暖冒黑烟"
    return bot.inbound(room, who, text)


def statuses(engine: Engine) -> list[tuple[str, bool]]:
    """(status, send begun) of every outbox row, oldest first."""
    with engine.connect() as c:
        rows = c.execute(
            select(col(Outbox.status), col(Outbox.attempt_started_at)).order_by(col(Outbox.id))
        ).all()
    return [(status, started is not None) for status, started in rows]


async def sent_once_after_a_restart(bot: Harness, chat: SimulatorTransport, place: str) -> None:
    """A new deliverer starts as the bot does (recovering claims) and sends the reply to
    the report of `place`, which reaches the chat exactly once."""
    restarted = Deliverer(bot.runtime, chat, RateLimiter(bot.clock, 20, 1.0))
    restarted.recover()
    assert await restarted.run_once() == 1
    assert [line.text.count(place) for line in chat.history()] == [1]


def reported(bot: Harness, deliverer: Deliverer, place: str, room: str = "一村群") -> Handled:
    who = "巡查员辛" if room == "一村群" else "巡查员寅"
    return Dispatcher(bot.runtime).handle_taking(report_in(bot, room, who, place), deliverer.take)


async def test_a_reply_is_claimed_with_its_message_and_sent_without_a_delivery_pass(
    setup: Setup, engine: Engine
) -> None:
    bot, chat, deliverer = setup
    handled = reported(bot, deliverer, "幸福路1号")
    assert len(handled.sending) == len(handled.queued) == 1
    # Claimed and begun with the report: its commit is the send's start mark.
    assert statuses(engine) == [("sending", True)]
    deliverer.send_soon(handled.sending)
    await deliverer.settle()
    assert "幸福路1号" in chat.history()[0].text
    assert statuses(engine) == [("sent", True)]
    # The next report in that group within the second: the group's gap holds its reply
    # back (not begun) for the delivery loop, which sends it once the second has passed.
    handled = reported(bot, deliverer, "幸福路2号")
    assert handled.sending == [] and len(handled.queued) == 1
    assert statuses(engine)[-1] == ("pending", False)
    assert await deliverer.run_once() == 0
    bot.clock.advance(timedelta(seconds=1))
    assert await deliverer.run_once() == 1
    assert "幸福路2号" in chat.history()[-1].text
    assert statuses(engine) == [("sent", True), ("sent", True)]


async def test_replies_reach_a_group_in_the_order_they_were_queued(setup: Setup) -> None:
    bot, chat, deliverer = setup
    deliverer.send_soon(reported(bot, deliverer, "幸福路1号").sending)
    await deliverer.settle()
    bot.clock.advance(timedelta(milliseconds=500))
    assert reported(bot, deliverer, "幸福路2号").sending == []  # the group's gap
    bot.clock.advance(timedelta(milliseconds=600))
    # The gap has passed, but the reply to 2号 still waits: 3号's may not overtake it.
    assert reported(bot, deliverer, "幸福路3号").sending == []
    # Another group is not held up by it.
    assert len(reported(bot, deliverer, "幸福路4号", room="二村群").sending) == 1
    for _ in range(3):
        await deliverer.run_once()
        bot.clock.advance(timedelta(seconds=1))
    places = [p for line in chat.history() for p in ("1号", "2号", "3号") if p in line.text]
    assert places == ["1号", "2号", "3号"]


async def test_a_reply_cut_off_between_its_message_and_its_send_is_never_sent_twice(
    setup: Setup, engine: Engine
) -> None:
    bot, chat, _ = setup
    handled = reported(bot, Deliverer(bot.runtime, chat, RateLimiter(bot.clock)), "幸福路5号")
    assert len(handled.sending) == 1
    # The process dies here: the report and its reply's start mark are on disk; whether
    # the send reached WeChat nobody knows. The next start does not send it again ...
    unknown: list[tuple[int, str | None, str]] = []
    restarted = Deliverer(bot.runtime, chat, RateLimiter(bot.clock), on_unknown=unknown.extend)
    restarted.recover()
    assert await restarted.run_once() == 0
    # ... and once no live send could still be under way, it is listed as unknown.
    bot.clock.advance(STUCK_AFTER + timedelta(seconds=1))
    assert await restarted.run_once() == 0
    assert statuses(engine) == [("unknown", True)]
    assert len(unknown) == 1 and "幸福路5号" in unknown[0][2]
    assert chat.history() == []


async def test_nothing_is_taken_while_stopping_or_disconnected(
    setup: Setup, engine: Engine
) -> None:
    bot, chat, deliverer = setup
    dispatcher = Dispatcher(bot.runtime)
    await chat.stop()  # WeChat is not connected
    handled = dispatcher.handle_taking(
        report_in(bot, "一村群", "巡查员辛", "幸福路3号"), deliverer.take
    )
    assert handled.sending == [] and len(handled.queued) == 1
    await chat.start(ignore)
    deliverer.stop()
    handled = dispatcher.handle_taking(
        report_in(bot, "二村群", "巡查员寅", "幸福路4号"), deliverer.take
    )
    assert handled.sending == []
    assert statuses(engine) == [("pending", False), ("pending", False)]


async def test_the_delivery_pass_does_not_overtake_a_reply_being_sent(setup: Setup) -> None:
    bot, chat, deliverer = setup
    with bot.runtime.transaction() as session:
        ids = outbox.enqueue(
            session,
            [
                Draft(key="text", text="【周报】正文", room_topic="一村群"),
                Draft(key="chart", text="周报图表", room_topic="一村群"),
            ],
            bot.clock.now(),
        )
        taken = deliverer.take(session, ids)
    assert [m.text for m in taken] == ["【周报】正文"]  # the chart waits behind it
    bot.clock.advance(timedelta(seconds=2))  # the group's gap has long passed
    assert await deliverer.run_once() == 0  # but the text is still on its way
    deliverer.send_soon(taken)
    await deliverer.settle()
    bot.clock.advance(timedelta(seconds=1))
    assert await deliverer.run_once() == 1
    assert [line.text for line in chat.history()] == ["【周报】正文", "周报图表"]


async def test_a_send_cut_off_by_a_crash_holds_its_group_back_only_briefly(setup: Setup) -> None:
    bot, chat, deliverer = setup
    with bot.runtime.transaction() as session:
        ids = outbox.enqueue(
            session, [Draft(key="a", text="甲", room_topic="一村群")], bot.clock.now()
        )
        assert len(deliverer.take(session, ids)) == 1  # begun; then the process died
    bot.clock.advance(timedelta(seconds=5))
    queue(bot, [Draft(key="b", text="乙", room_topic="一村群")])
    assert await deliverer.run_once() == 0  # 甲 may still be on its way
    bot.clock.advance(timedelta(seconds=16))  # no live send takes this long
    assert await deliverer.run_once() == 1
    assert [line.text for line in chat.history()] == ["乙"]


async def test_a_reply_held_back_for_its_groups_older_one_wakes_the_loop_when_that_is_sent(
    setup: Setup,
) -> None:
    bot, chat, deliverer = setup
    first = reported(bot, deliverer, "幸福路1号")
    deliverer.send_soon(first.sending)  # under way
    bot.clock.advance(timedelta(seconds=2))  # the group's gap has passed
    second = reported(bot, deliverer, "幸福路2号")
    assert second.sending == []  # 1号's reply is still on its way: 2号's may not overtake it
    deliverer.wake.clear()
    deliverer.note_waiting()
    assert not deliverer.wake.is_set()
    await deliverer.settle()
    # 1号's reply is recorded as sent: the loop is woken for 2号's, not left to its poll.
    assert deliverer.wake.is_set()
    assert await deliverer.run_once() == 1
    assert [p for line in chat.history() for p in ("1号", "2号") if p in line.text] == [
        "1号",
        "2号",
    ]
    # A reply sent with nothing left waiting wakes nothing (no empty pass after each).
    deliverer.wake.clear()
    bot.clock.advance(timedelta(seconds=2))
    deliverer.send_soon(reported(bot, deliverer, "幸福路3号", room="二村群").sending)
    await deliverer.settle()
    assert not deliverer.wake.is_set()


async def test_a_begun_reply_the_stopped_loop_will_not_send_is_put_back_and_sent_after_restart(
    setup: Setup, engine: Engine
) -> None:
    bot, chat, deliverer = setup
    begun = reported(bot, deliverer, "幸福路7号").sending
    deliverer.stop()
    await deliverer.run_forever()  # the loop ends before the reply is handed over
    deliverer.send_soon(begun)
    # Certainly not sent, so not left as a send of unknown fate: back to pending.
    assert statuses(engine) == [("pending", False)]
    assert chat.history() == []
    await sent_once_after_a_restart(bot, chat, "幸福路7号")


async def test_a_reply_taken_with_its_message_waits_only_briefly_behind_a_cut_off_send(
    setup: Setup, engine: Engine
) -> None:
    bot, _, deliverer = setup
    with bot.runtime.transaction() as session:
        ids = outbox.enqueue(
            session, [Draft(key="a", text="甲", room_topic="一村群")], bot.clock.now()
        )
        assert len(deliverer.take(session, ids)) == 1  # begun; then the process died
    bot.clock.advance(timedelta(seconds=21))  # no live send takes this long
    handled = reported(bot, deliverer, "幸福路10号")
    # Not held for the 90 s until 甲 is declared unknown (SQLite subtracted two strings).
    assert len(handled.sending) == 1


def commit_answer_lost(monkeypatch: pytest.MonkeyPatch, *, again_too: bool) -> list[Handled]:
    """The first attempt at a message commits, but the connection breaks before the answer
    comes (`again_too`: and the server is still down when it is handled again). Returns
    what that first attempt committed, once it has run."""
    handle = Dispatcher._handle
    committed: list[Handled] = []

    def answer_lost(self: Dispatcher, *args: Any) -> Handled:
        if committed and not again_too:
            return handle(self, *args)
        if not committed:
            committed.append(handle(self, *args))
        raise OperationalError("COMMIT", {}, Exception("closed"), connection_invalidated=True)

    monkeypatch.setattr(Dispatcher, "_handle", answer_lost)
    return committed


async def test_replies_begun_by_a_commit_whose_answer_was_lost_go_out_once(
    setup: Setup, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot, chat, deliverer = setup
    answers = commit_answer_lost(monkeypatch, again_too=False)
    handled = reported(bot, deliverer, "幸福路12号")
    # Handled again: recorded already, and the reply the first attempt began was certainly
    # not sent, so it goes back to the delivery pass rather than being lost as unknown.
    assert len(answers[0].sending) == 1
    assert handled.sending == [] and handled.queued == [answers[0].sending[0].outbox_id]
    assert statuses(engine) == [("pending", False)]
    bot.clock.advance(timedelta(seconds=1))
    assert await deliverer.run_once() == 1
    assert [line.text.count("幸福路12号") for line in chat.history()] == [1]


async def test_replies_begun_by_a_lost_commit_go_out_once_even_if_handling_again_fails(
    setup: Setup, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot, chat, deliverer = setup
    attempts = commit_answer_lost(monkeypatch, again_too=True)
    inbound = report_in(bot, "一村群", "巡查员辛", "幸福路13号")
    with pytest.raises(OperationalError):
        Dispatcher(bot.runtime).handle_taking(inbound, deliverer.take, deliverer.abandon)
    # Begun on disk and certainly not sent: left so, it would become unknown, never sent.
    assert len(attempts[0].sending) == 1 and statuses(engine) == [("sending", True)]
    # The next delivery pass (the database answers again) puts it back and sends it, once.
    bot.clock.advance(timedelta(seconds=1))
    assert await deliverer.run_once() == 1
    assert [line.text.count("幸福路13号") for line in chat.history()] == [1]
    assert statuses(engine) == [("sent", True)]


async def test_a_message_whose_reply_is_begun_commits_waiting_for_the_disk(
    setup: Setup, engine: Engine
) -> None:
    bot, _, deliverer = setup
    sqlite = engine.dialect.name == "sqlite"
    settings: list[object] = []

    def take(session: Session, ids: list[int]) -> list[Outgoing]:
        taken = deliverer.take(session, ids)
        show = "PRAGMA synchronous" if sqlite else "show synchronous_commit"
        settings.append(session.execute(text(show)).scalar_one())
        return taken

    dispatcher = Dispatcher(bot.runtime)
    handled = dispatcher.handle_taking(report_in(bot, "一村群", "巡查员辛", "幸福路14号"), take)
    assert len(handled.sending) == 1
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    # Within the group's gap: the limiter holds this reply back, so nothing is begun.
    handled = dispatcher.handle_taking(report_in(bot, "一村群", "巡查员辛", "幸福路15号"), take)
    assert handled.sending == []
    if sqlite:
        # It cannot change within a transaction: a message that may take waits throughout.
        assert settings == [2, 2]  # FULL
    else:
        assert settings == ["on", "on"]
        # Nothing begun after all: the commit need not wait, said just before it.
        assert statements[-1] == "SET LOCAL synchronous_commit TO OFF"


async def test_begun_replies_the_database_would_not_take_back_go_back_before_the_loop_ends(
    setup: Setup, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot, chat, deliverer = setup
    begun = reported(bot, deliverer, "幸福路16号").sending
    unbegin = outbox.unbegin
    refused: list[int] = []

    def refuses_once(session: Session, messages: list[Outgoing], now: Any) -> None:
        if not refused:
            refused.append(len(messages))
            raise OperationalError("UPDATE outbox", {}, Exception("database is locked"))
        unbegin(session, messages, now)

    monkeypatch.setattr(outbox, "unbegin", refuses_once)
    deliverer.put_back(begun)  # the bot is stopping; the database does not answer
    assert refused == [1] and statuses(engine) == [("sending", True)]
    deliverer.stop()
    await deliverer.run_forever()  # its last act: put them back, now that it answers
    assert statuses(engine) == [("pending", False)]
    await sent_once_after_a_restart(bot, chat, "幸福路16号")
