"""The ticket state table: allowed moves only, conditional updates, and one winner of a race."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.core.errors import UserError
from bot.services.roster.lookup import Actor
from bot.services.tickets import lifecycle
from bot.services.tickets import texts as ticket_texts
from bot.services.tickets.ledger import Origin, find
from bot.services.tickets.states import ACCEPT, CLOSE, LIVE, RESOLVE, TRANSITIONS, Status
from models.tables import Person, Ticket
from tests.harness import Harness


@pytest.fixture
def bot(engine: Engine) -> Harness:
    return Harness.on(engine)


def test_the_table_names_every_status_and_move() -> None:
    assert set(TRANSITIONS) == {"accept", "resolve", "close", "return", "appeal", "dismiss"}
    reachable = {t.target for t in TRANSITIONS.values()} | {Status.OPEN}
    assert reachable == set(Status)
    assert set(LIVE) == {Status.OPEN, Status.ACCEPTED}
    assert set(ticket_texts.STATUS_NAMES) == {s.value for s in Status}
    assert set(ticket_texts.ACCESS_NAMES) == {t.access.value for t in TRANSITIONS.values()} | {
        "anyone",
        "viewer",
        "head",  # 转办 and 交办 move a ticket between grids; they change no status
        "district",  # 预警 is about no ticket
    }


def _origin(bot: Harness, name: str) -> Origin:
    with bot.runtime.transaction() as session:
        person = session.exec(select(Person).where(Person.name == name)).one()
    return Origin(Actor(person.id or 0, person.name), bot.clock.now())


def test_a_stale_read_loses_to_the_committed_move(bot: Harness) -> None:
    """Two heads read the ticket open; one resolves it first; the other's accept is refused."""
    code = bot.report("一村群", "巡查员辛")
    with bot.runtime.transaction() as slow:
        ticket = find(slow, code)
        assert ticket.status == Status.OPEN  # the slow head saw it open ...
        bot.say("一村群", "村书记戊", f"办结 {code} 已劝导拆除")  # ... another head resolved it
        with pytest.raises(UserError) as refused:
            lifecycle.apply(slow, ticket, ACCEPT, _origin(bot, "片长庚"))
    assert refused.value.text == ticket_texts.ALREADY_RESOLVED.format(code=code)
    [row] = bot.tickets()
    assert row["status"] == "resolved"


def test_two_heads_at_once_one_wins(bot: Harness) -> None:
    code = bot.report("一村群", "巡查员辛")
    replies: dict[str, str] = {}
    start = threading.Barrier(2)

    def head(name: str) -> None:
        start.wait()
        [reply] = bot.say("一村群", name, f"受理 {code}")
        replies[name] = reply.text

    threads = [threading.Thread(target=head, args=(n,)) for n in ("片长庚", "村书记戊")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    won = [name for name, text in replies.items() if "已受理" in text]
    lost = [text for text in replies.values() if "已受理" not in text]
    assert len(won) == 1
    assert lost == [ticket_texts.ALREADY_ACCEPTED.format(code=code, status="处置中")]


@pytest.mark.parametrize(
    ("moves", "then", "expected"),
    [
        ([], CLOSE, ticket_texts.CLOSE_NEEDS_RESOLVED),
        ([RESOLVE], RESOLVE, ticket_texts.ALREADY_RESOLVED),
        ([RESOLVE, CLOSE], RESOLVE, ticket_texts.ALREADY_CLOSED),
        ([RESOLVE, CLOSE], ACCEPT, ticket_texts.ALREADY_CLOSED),
        ([ACCEPT], ACCEPT, ticket_texts.ALREADY_ACCEPTED),
    ],
)
def test_moves_outside_the_table_are_refused(
    bot: Harness, engine: Engine, moves: list[object], then: object, expected: str
) -> None:
    code = bot.report("一村群", "巡查员辛")
    admin = _origin(bot, "管理员乙")
    for move in moves:
        with bot.runtime.transaction() as session:
            lifecycle.apply(session, find(session, code), move, admin, "处理完毕")  # type: ignore[arg-type]
    with bot.runtime.transaction() as session:
        ticket = find(session, code)
        before = ticket.status
        with pytest.raises(UserError) as refused:
            lifecycle.apply(session, ticket, then, admin)  # type: ignore[arg-type]
    status_name = ticket_texts.STATUS_NAMES[before]
    assert refused.value.text == expected.format(code=code, status=status_name)
    with bot.runtime.transaction() as session:
        assert session.exec(select(Ticket.status)).one() == before


def test_query_shows_who_was_reminded_and_when(bot: Harness) -> None:
    code = bot.report("一村群", "巡查员辛")
    bot.pings(timedelta(hours=48, minutes=1))  # step 1: the village head
    bot.pings(timedelta(hours=24))  # step 2: the town head
    [reply] = bot.say("一村群", "片长庚", f"查询 {code}")
    reminded = [
        line for line in reply.text.splitlines() if line.startswith("· ") and "超期提醒" in line
    ]
    assert reminded == [
        "· 11月24日 10:01 系统 超期提醒：提醒一村网格长 村书记戊",
        "· 11月25日 10:01 系统 超期提醒：提醒一镇网格长 镇长丙",
    ]
