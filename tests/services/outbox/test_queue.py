"""The outbox: long texts split at line boundaries with the mentions on the first part,
each message addressed to the right people, nothing queued or claimed twice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.services.outbox import queue as outbox
from bot.services.outbox.queue import Draft, split_text
from bot.services.roster.binding import bind_contacts
from models.db import transaction
from models.tables import Person
from tests.harness import START, Harness


def person_ids(bot: Harness, *names: str) -> tuple[int, ...]:
    """Roster ids of the named people, in the order named."""
    with bot.runtime.transaction() as s:
        people = s.exec(select(Person).where(col(Person.name).in_(names))).all()
    ids = {p.name: p.id for p in people if p.id is not None}
    return tuple(ids[name] for name in names)


def bind(bot: Harness, contact_id: str, weixin: str) -> None:
    """The chat platform reports the contact carrying this 微信号, as on login."""
    with bot.runtime.transaction() as s:
        assert bind_contacts(s, [(contact_id, "", weixin)]) == 1


def test_split_keeps_lines_whole_and_parts_short() -> None:
    text = "\n".join(f"第{n}行" + "字" * 40 for n in range(100))
    parts = split_text(text, limit=500)
    assert all(len(p) <= 500 for p in parts)
    assert "\n".join(parts) == text
    assert all(p.startswith("第") for p in parts)
    assert split_text("短") == ["短"]
    assert split_text("长" * 1200, limit=500) == ["长" * 500, "长" * 500, "长" * 200]


def test_mentions_come_out_as_names_and_platform_ids(engine: Engine) -> None:
    bot = Harness.on(engine)
    bind(bot, "wxid_bound_v1_head", "wx_v1_head")  # 村书记戊 is bound; 片长庚 is not yet
    mentions = person_ids(bot, "片长庚", "村书记戊")
    with transaction(engine) as s:
        outbox.enqueue(
            s, [Draft(key="m", text="请督促", room_topic="一村群", mentions=mentions)], START
        )
    with transaction(engine) as s:
        [m] = outbox.claim(s, START)
    assert (m.room_topic, m.private_to, m.text) == ("一村群", None, "请督促")
    assert m.mention_names == ("片长庚", "村书记戊")
    assert m.mention_ids == ("wx_a_head", "wxid_bound_v1_head")  # unbound: the 微信号


def test_long_message_becomes_parts_with_mentions_on_the_first(engine: Engine) -> None:
    bot = Harness.on(engine)
    bind(bot, "wxid_bound_v1_head", "wx_v1_head")
    text = "\n".join("行" * 100 for _ in range(40))
    draft = Draft(
        key="k", text=text, room_topic="群", mentions=person_ids(bot, "村书记戊", "片长庚")
    )
    with transaction(engine) as s:
        ids = outbox.enqueue(s, [draft], START)
        assert len(ids) == 3
        assert outbox.enqueue(s, [draft], START) == []  # the same key again: nothing
    with transaction(engine) as s:
        parts = outbox.claim(s, START)
    assert [p.outbox_id for p in parts] == ids
    assert "\n".join(p.text for p in parts) == text
    assert {p.room_topic for p in parts} == {"群"}
    assert [p.mention_names for p in parts] == [("村书记戊", "片长庚"), (), ()]
    assert [p.mention_ids for p in parts] == [("wxid_bound_v1_head", "wx_a_head"), (), ()]


def test_a_private_message_goes_to_that_person(engine: Engine) -> None:
    bot = Harness.on(engine)
    bind(bot, "wxid_bound_a_member", "wx_a_member")  # 巡查员辛 is bound; 巡查员卯 is not
    member, other = person_ids(bot, "巡查员辛", "巡查员卯")
    drafts = [
        Draft(key="p1", text="您的上报已登记", private_person_id=member),
        Draft(key="p2", text="请补充地点", private_person_id=other),
    ]
    with transaction(engine) as s:
        outbox.enqueue(s, drafts, START)
    with transaction(engine) as s:
        sent = outbox.claim(s, START)
    assert [(m.room_topic, m.private_to, m.text) for m in sent] == [
        (None, "wxid_bound_a_member", "您的上报已登记"),
        (None, "wx_b_member", "请补充地点"),  # not bound yet: addressed by 微信号
    ]
    assert all(m.mention_names == m.mention_ids == () for m in sent)


def test_claim_is_exclusive_and_failed_sends_back_off(engine: Engine) -> None:
    with transaction(engine) as s:
        [oid] = outbox.enqueue(s, [Draft(key="a", text="你好", room_topic="群")], START)
    with transaction(engine) as s:
        [m] = outbox.claim(s, START)
        assert m.outbox_id == oid
        assert outbox.claim(s, START) == []  # claimed: nobody else gets it
        outbox.mark_failed(s, oid, START, "gateway down", permanent=False)
    with transaction(engine) as s:
        assert outbox.claim(s, START + timedelta(seconds=1)) == []
        [again] = outbox.claim(s, START + timedelta(seconds=3))
        assert again.attempts == 1
        outbox.mark_sent(s, oid, START, "wx-1")
    with transaction(engine) as s:
        assert outbox.claim(s, START + timedelta(days=1)) == []


def test_a_claim_abandoned_by_a_dead_sender_is_handed_out_again(engine: Engine) -> None:
    with transaction(engine) as s:
        outbox.enqueue(s, [Draft(key="a", text="你好", room_topic="群")], START)
    with transaction(engine) as s:
        assert len(outbox.claim(s, START)) == 1
    with transaction(engine) as s:
        assert outbox.claim(s, START + timedelta(seconds=30)) == []
        assert len(outbox.claim(s, START + outbox.CLAIM_LEASE)) == 1
