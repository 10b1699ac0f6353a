"""The outbox: long texts split at line boundaries, nothing queued or claimed twice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine

from bot.services.outbox import queue as outbox
from bot.services.outbox.queue import Draft, split_text
from models.db import transaction
from tests.harness import START


def test_split_keeps_lines_whole_and_parts_short() -> None:
    text = "\n".join(f"第{n}行" + "字" * 40 for n in range(100))
    parts = split_text(text, limit=500)
    assert all(len(p) <= 500 for p in parts)
    assert "\n".join(parts) == text
    assert all(p.startswith("第") for p in parts)
    assert split_text("短") == ["短"]
    assert split_text("长" * 1200, limit=500) == ["长" * 500, "长" * 500, "长" * 200]


def test_long_message_becomes_parts_with_mentions_on_the_first(engine: Engine) -> None:
    draft = Draft(
        key="k", text="\n".join("行" * 100 for _ in range(40)), room_topic="群", mentions=()
    )
    with transaction(engine) as s:
        ids = outbox.enqueue(s, [draft], START)
        assert len(ids) == 3
        assert outbox.enqueue(s, [draft], START) == []  # the same key again: nothing


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
