"""Generated hostile messages through the dispatcher on both databases.

Nothing may escape, nothing odd may get the generic apology, and what is answered as opened is
on the ledger (nothing half-written); the same holds on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy.engine import Engine

from bot.core import texts as core_texts
from bot.core.messages import ChatRef, Inbound
from handlers.dispatcher import Dispatcher
from tests.fuzz.strategies import messages
from tests.harness import Harness

OPENED = re.compile(r"已登记(?:工单| \d+ 件工单)")
CODES = re.compile(r"\b(\d{6,})\b")


@pytest.fixture
def bot(engine: Engine) -> Harness:
    return Harness.on(engine)


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=messages)
def test_hostile_text_is_answered_or_ignored_cleanly(bot: Harness, text: str) -> None:
    before = {t["code"] for t in bot.tickets()}
    replies = bot.say("一村群", "巡查员辛", text)
    assert all(r.text != core_texts.SORRY for r in replies), (text, replies)
    new = {t["code"] for t in bot.tickets()} - before
    said = {code for r in replies if OPENED.search(r.text) for code in CODES.findall(r.text)}
    assert new <= said | before, (text, replies)
    assert all(code in {t["code"] for t in bot.tickets()} for code in said & set(new))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=messages, message_id=messages, room=messages, sender=messages)
def test_hostile_ids_and_rooms_do_not_crash(
    bot: Harness, text: str, message_id: str, room: str, sender: str
) -> None:
    inbound = Inbound(
        message_id=message_id + uuid.uuid4().hex,
        chat=ChatRef(room, room),
        sender_id=sender,
        sender_name=sender,
        text=text,
        at=bot.clock.now(),
    )
    Dispatcher(bot.runtime).handle(inbound)  # must not raise
