"""The roster memory of the chat path never answers from a stale roster, whoever changed it."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from bot.adapters.simulator import SimulatorTransport
from bot.core.messages import Inbound
from bot.services.outbox.delivery import Deliverer, RateLimiter
from handlers.dispatcher import Dispatcher
from tests.harness import Harness


def _ticket_grid(h: Harness) -> tuple[object, object]:
    last = h.tickets()[-1]
    return last["grid"], last["status"]


def test_a_roster_change_by_another_process_is_seen_by_the_next_message(engine: Engine) -> None:
    h = Harness.on(engine)
    h.report("一村群", "巡查员辛")
    h.report("一村群", "巡查员辛")  # the second look-up is answered from memory
    assert _ticket_grid(h)[0] == "D-T1-V1-A"
    # Another process (a clerk's psql, a second bot) moves the patroller to 一村二片.
    other = create_engine(engine.url.render_as_string(hide_password=False))
    with other.begin() as connection:
        connection.execute(
            text(
                "UPDATE membership SET grid_id = (SELECT id FROM grid WHERE code = 'D-T1-V1-B')"
                " WHERE person_id = (SELECT id FROM person WHERE name = '巡查员辛')"
            )
        )
    other.dispose()
    [reply] = h.say(
        "一村群", "巡查员辛", "【问题上报】\n类型：散煤\n地点：一村88号楼\n描述：烧煤冒黑烟"
    )
    assert _ticket_grid(h)[0] == "D-T1-V1-B"
    assert "片长癸" in reply.mentions  # the new grid's head, not the old one's


def test_a_reimported_roster_is_seen_at_once(engine: Engine, tmp_path: object) -> None:
    from pathlib import Path

    from bot.services.roster import importer
    from tests.harness import TEST_ROSTER

    h = Harness.on(engine)
    h.report("一村群", "巡查员辛")
    moved = Path(str(tmp_path)) / "roster.csv"
    moved.write_text(
        TEST_ROSTER.read_text(encoding="utf-8").replace(
            "D-T1-V1-A,一村一片,4,D-T1-V1,,巡查员辛", "D-T1-V1-B,一村二片,4,D-T1-V1,,巡查员辛"
        ),
        encoding="utf-8",
    )
    importer.import_roster(engine, moved)
    h.report("一村群", "巡查员辛")
    assert _ticket_grid(h)[0] == "D-T1-V1-B"


async def test_a_reply_mentions_the_head_as_the_roster_has_them_now(engine: Engine) -> None:
    h = Harness.on(engine)
    chat = SimulatorTransport(h.clock)

    async def ignore(_: Inbound) -> None:
        return None

    await chat.start(ignore)
    deliverer = Deliverer(h.runtime, chat, RateLimiter(h.clock, 20, chat_gap_seconds=0))
    dispatcher = Dispatcher(h.runtime)

    async def mentioned(place: str) -> tuple[str, ...]:
        text = f"【问题上报】\n类型：散煤\n地点：{place}\n描述：烧煤冒黑烟"
        handled = dispatcher.handle_taking(h.inbound("一村群", "巡查员辛", text), deliverer.take)
        [reply] = handled.sending  # claimed in the message's own transaction
        assert reply.mention_names == ("片长庚",)
        deliverer.send_soon(handled.sending)
        await deliverer.settle()
        return reply.mention_ids

    first = await mentioned("一村1号楼")
    assert await mentioned("一村2号楼") == first  # the second from memory
    # Another process binds the head's WeChat contact.
    other = create_engine(engine.url.render_as_string(hide_password=False))
    with other.begin() as connection:
        connection.execute(text("UPDATE person SET contact_id = 'wxid_new' WHERE name = '片长庚'"))
    other.dispose()
    assert await mentioned("一村3号楼") == ("wxid_new",)


def test_the_head_above_a_grid_without_one_is_as_the_roster_has_them_now(engine: Engine) -> None:
    """A report to a grid without a head tells the nearest head above (from memory, while
    the roster stays the same): after a change, the new one."""
    h = Harness.on(engine)

    def told(n: int) -> tuple[str, ...]:
        text = f"【问题上报】\n类型：散煤\n地点：二村{n}号楼\n描述：烧煤冒黑烟"
        replies = h.say("二村群", "巡查员寅", text)
        return tuple(name for reply in replies for name in reply.mentions)

    assert "村书记丑" in told(1)
    assert "村书记丑" in told(2)  # the second look-up is answered from memory
    other = create_engine(engine.url.render_as_string(hide_password=False))
    with other.begin() as connection:  # 二村's head is now 镇长子, written by someone else
        connection.execute(
            text(
                "UPDATE membership SET person_id = (SELECT id FROM person WHERE name = '镇长子')"
                " WHERE person_id = (SELECT id FROM person WHERE name = '村书记丑')"
            )
        )
    other.dispose()
    mentioned = told(3)
    assert "镇长子" in mentioned and "村书记丑" not in mentioned
