"""The whole app over the real python-wechaty client and the official gateway (loopback).

Each test checks what users would see (what reached WeChat, read back from the gateway) and
what the ledger holds. Only WeChat's servers are mocked.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, func, select

from bot.services.escalation import sweep as escalation
from bot.services.outbox.queue import Draft, enqueue
from handlers import texts as handler_texts
from models.tables import Escalation, Evidence, InboundMessage, Outbox, Person, Ticket
from scheduler.jobs import run_sweeps
from tests.e2e.conftest import (
    BOT_ID,
    BOT_NAME,
    FAMILY_ROOM,
    FAMILY_TOPIC,
    ROOM_IDS,
    Stack,
    eventually,
)

REPORT = "【问题上报】\n类型：散煤\n地点：一村3号楼东侧\n描述：居民使用燃煤炉取暖，冒黑烟"
REPORTER = "wx_a_member"  # 巡查员辛, of 一村一片, which posts in 一村群


def opened(sent: dict[str, object]) -> bool:
    return "已登记工单 " in str(sent["text"])


def code_in(text: str) -> str:
    found = re.search(r"已登记工单 (\d+)", text)
    assert found, text
    return found.group(1)


async def report(stack: Stack) -> str:
    """巡查员辛 reports in 一村群; return the code from the bot's reply."""
    before = len([s for s in await stack.gateway.sent() if opened(s)])
    await stack.say(REPORTER, REPORT, "一村群")
    replies = await stack.expect(lambda s: opened(s), what="the ticket reply", count=before + 1)
    return code_in(replies[-1]["text"])


def ticket_count(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(Ticket)).one())


async def test_report_opens_a_ticket_and_mentions_the_head(stack: Stack) -> None:
    message_id = await stack.say(REPORTER, REPORT, "一村群")

    [reply] = await stack.expect(opened, what="the ticket reply")
    assert reply["roomId"] == ROOM_IDS["一村群"]
    assert reply["text"].startswith("@片长庚 已登记工单 ")
    assert reply["mentionIds"] == ["wx_a_head"]
    code = code_in(reply["text"])

    def ledger(session: Session) -> list[tuple[object, ...]]:
        rows = session.exec(select(Ticket)).all()
        names = {p.id: p.wechat_id for p in session.exec(select(Person))}
        return [
            (
                t.code,
                t.status,
                t.category,
                t.location,
                t.source_message_id,
                names[t.reporter_id],
                names[t.responsible_id],
            )
            for t in rows
        ]

    assert await stack.db(ledger) == [
        (code, "open", "散煤", "一村3号楼东侧", message_id, "wx_a_member", "wx_a_head")
    ]


async def test_overdue_ticket_pings_the_parent_head_once(stack: Stack) -> None:
    code = await report(stack)

    stack.clock.advance(timedelta(hours=48, minutes=1))
    await asyncio.to_thread(run_sweeps, stack.runtime)
    stack.wake()

    [ping] = await stack.expect(lambda s: "【超期提醒】" in s["text"], what="the overdue ping")
    assert ping["roomId"] == ROOM_IDS["一村群"]
    assert ping["mentionIds"] == ["wx_v1_head"]
    assert ping["text"].startswith(f"@村书记戊 【超期提醒】工单 {code}")

    assert await asyncio.to_thread(escalation.sweep, stack.runtime) == []
    # A round trip through the bot: whatever it queued before answering has been sent by now.
    await stack.say(REPORTER, f"查询 {code}", "一村群")
    await stack.expect(lambda s: f"工单 {code}（" in s["text"], what="the query answer")
    sent = await stack.gateway.sent()
    assert len([s for s in sent if "【超期提醒】" in s["text"]]) == 1
    steps = await stack.db(lambda s: s.exec(select(func.count()).select_from(Escalation)).one())
    assert steps == 1


async def test_redelivered_message_is_handled_once(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="handlers.dispatcher")
    message_id = await stack.say(REPORTER, REPORT, "一村群")
    [reply] = await stack.expect(opened, what="the ticket reply")
    code = code_in(reply["text"])

    duplicate = f"duplicate message {message_id} ignored"
    await stack.gateway.redeliver(message_id)  # while the same client is connected
    await eventually(lambda: duplicate in caplog.messages, what="the first redelivery")
    # A fresh app and client: only the ledger's record of message ids can recognise it now.
    await stack.restart()
    await stack.gateway.redeliver(message_id)
    await stack.say(REPORTER, f"查询 {code}", "一村群")
    await stack.expect(lambda s: f"工单 {code}（" in s["text"], what="the query answer")

    # Both redeliveries did reach the app, and were recognised. Messages are handled side by
    # side in worker threads, so the query's answer may come before the redelivery is done.
    await eventually(
        lambda: caplog.messages.count(duplicate) == 2, what="the redelivery after the restart"
    )
    assert len([s for s in await stack.gateway.sent() if opened(s)]) == 1
    assert await stack.db(ticket_count) == 1
    seen = await stack.db(
        lambda s: s.exec(
            select(func.count())
            .select_from(InboundMessage)
            .where(InboundMessage.message_id == message_id)
        ).one()
    )
    assert seen == 1


def jpeg(path: Path, size: int) -> Path:
    """A JPEG container of `size` bytes: comment segments full of random bytes."""
    body = bytearray(b"\xff\xd8")
    while len(body) < size - 2:
        chunk = os.urandom(min(65533, size - 2 - len(body) - 4))
        body += b"\xff\xfe" + (len(chunk) + 2).to_bytes(2, "big") + chunk
    body += b"\xff\xd9"
    path.write_bytes(bytes(body))
    return path


async def test_photo_after_a_report_is_filed_on_the_ticket(stack: Stack, tmp_path: Path) -> None:
    code = await report(stack)
    photo = jpeg(tmp_path / "coal-stove.jpg", 1024 * 1024)
    digest = hashlib.sha256(photo.read_bytes()).hexdigest()

    message_id = await stack.gateway.send_file(REPORTER, photo, room=ROOM_IDS["一村群"])

    def filed(session: Session) -> tuple[str, str, str | None, int, str] | None:
        row = session.exec(select(Evidence).where(Evidence.message_id == message_id)).first()
        if row is None or row.status == "pending":  # claimed, its bytes not fetched yet
            return None
        ticket = session.get(Ticket, row.ticket_id)
        assert ticket is not None
        return ticket.code, row.status, row.sha256, row.size, row.path or ""

    saved = await stack.wait_db(filed, what="the evidence row")
    assert saved[:4] == (code, "saved", digest, 1024 * 1024)
    path = Path(saved[4])
    assert path.is_relative_to(stack.data_dir / "evidence")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest

    stack.clock.advance(timedelta(seconds=21))  # the acknowledgement waits 20 s for more photos
    stack.wake()
    [ack] = await stack.expect(lambda s: "现场照片/视频，共" in s["text"], what="the photo ack")
    assert ack["text"] == f"已收到工单 {code} 的现场照片/视频，共 1 个，已归档。"
    await stack.say(REPORTER, f"查询 {code}", "一村群")
    [answer] = await stack.expect(lambda s: f"工单 {code}（" in s["text"], what="the answer")
    assert "现场照片/视频：1 个" in answer["text"]


async def test_gateway_outage_queues_and_delivers_once(stack: Stack) -> None:
    await report(stack)
    await stack.outbox_settled()  # nothing in flight when the gateway dies

    await asyncio.to_thread(stack.gateway.kill)
    await eventually(lambda: not stack.health.logged_in, what="the lost login")
    # While WeChat is down the app's own scheduler makes the overdue ping ...
    stack.clock.advance(timedelta(hours=48, minutes=1))
    await stack.wait_db(
        lambda s: s.exec(select(Outbox.id).where(Outbox.kind == "escalation")).first(),
        what="the scheduler to queue the ping",
    )
    # ... and services queue more.
    notices = [
        Draft(key=f"e2e-notice:{n}", text=f"测试通知 {n}：请核对本周巡查台账", room_topic=topic)
        for n, topic in enumerate(["一镇群", "二镇群", "二村群"])
    ]
    await stack.db(lambda s: enqueue(s, notices, stack.clock.now()))
    assert await stack.healthz() == {
        "ok": True,
        "database": "ok",
        "transport": "wechat",
        "logged_in": False,
    }
    queued = await stack.db(
        lambda s: [
            (o.room_topic or "", o.text)
            for o in s.exec(select(Outbox).where(Outbox.status == "pending"))
        ]
    )
    assert len(queued) >= 4

    await asyncio.to_thread(stack.gateway.start)  # same port, same groups and members
    await eventually(lambda: stack.health.logged_in, timeout=45, what="the login after restart")
    await stack.expect(lambda s: "【系统通知】" in s["text"], what="the back-online notice")
    await stack.outbox_settled()

    outcome = await stack.db(
        lambda s: [
            (o.id, o.kind, o.status, o.attempts, o.last_error)
            for o in s.exec(select(Outbox).where(col(Outbox.status) != "sent"))
        ]
    )
    assert outcome == []
    sent = await stack.gateway.sent()
    for topic, text in queued:
        copies = [s for s in sent if s["roomId"] == ROOM_IDS[topic] and s["text"].endswith(text)]
        assert len(copies) == 1, (topic, text, sent)
    [notice] = [s for s in sent if "【系统通知】" in s["text"]]
    assert notice["roomId"] == ROOM_IDS["区平台群"]
    assert notice["mentionIds"] == ["wx_admin"]
    assert notice["text"].startswith("@管理员乙 【系统通知】机器人自 ")
    assert "掉线" in notice["text"]
    failed = await stack.db(
        lambda s: s.exec(select(Outbox.id).where(col(Outbox.status) == "failed")).all()
    )
    assert failed == []


async def test_private_query_gets_a_private_answer(stack: Stack) -> None:
    code = await report(stack)

    await stack.say(REPORTER, f"查询 {code}")  # no group: a private chat with the bot

    [answer] = await stack.expect(lambda s: s["roomId"] is None, what="the private answer")
    assert answer["conversationId"] == REPORTER
    assert answer["text"].startswith(f"工单 {code}（待受理）")
    assert "地点：一村3号楼东侧" in answer["text"]


async def test_unknown_group_is_listed_and_ignored(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="handlers.dispatcher")
    await eventually(lambda: stack.health.unknown_rooms == [FAMILY_TOPIC], what="unknown rooms")

    ignored = [
        await stack.gateway.say(REPORTER, REPORT, room=FAMILY_ROOM),
        await stack.gateway.say(REPORTER, "查询 112201", room=FAMILY_ROOM),
    ]
    await report(stack)  # answered in 一村群, so the family messages were handled before

    sent = await stack.gateway.sent()
    assert [s for s in sent if s["conversationId"] == FAMILY_ROOM] == []
    assert await stack.db(ticket_count) == 1
    for message_id in ignored:  # they did arrive, and were dropped on purpose
        assert f"message {message_id} from unbound room '{FAMILY_TOPIC}' ignored" in caplog.messages


async def test_help_and_a_bare_mention_of_the_bot_answer_with_help(stack: Stack) -> None:
    await stack.say(REPORTER, "帮助", "一村群")
    await stack.say(REPORTER, f"@{BOT_NAME}\u2005", "一村群", mentions=[BOT_ID])
    replies = await stack.expect(
        lambda s: str(s["text"]).startswith(handler_texts.HELP_HEADER), what="help", count=2
    )
    assert [r["roomId"] for r in replies] == [ROOM_IDS["一村群"]] * 2
    assert "受理 工单编号：确认收到并开始处置" in replies[0]["text"]
    assert replies[0]["text"] == replies[1]["text"]
