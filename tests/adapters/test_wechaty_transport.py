"""The WeChat transport against a real gateway (official PuppetServer + PuppetMock, over
loopback) with the real python-wechaty client. Only WeChat's servers are mocked."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import struct
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.adapters.wechaty_transport import WechatyTransport
from bot.core.clock import SystemClock
from bot.core.messages import Attachment, ChatRef, Inbound, Outgoing
from bot.core.ports import DeliveryError
from tests.adapters.conftest import (
    BOT_ID,
    BOT_NAME,
    GRID3,
    GRID5,
    LI,
    ZHANG,
    Client,
    ClientFactory,
    eventually,
)
from tests.adapters.gateway import Gateway

AT = "\u2005"


def jpeg(path: Path, size: int) -> Path:
    """A JPEG container of about `size` bytes: comment segments full of random bytes."""
    body = bytearray(b"\xff\xd8")
    while len(body) < size - 2:
        chunk = os.urandom(min(65533, size - 2 - len(body) - 4))
        body += b"\xff\xfe" + struct.pack(">H", len(chunk) + 2) + chunk
    body += b"\xff\xd9"
    path.write_bytes(bytes(body))
    return path


async def marker(gateway: Gateway) -> None:
    """A member says "marker": once it arrives, everything sent before it has arrived too."""
    await gateway.say(ZHANG, "marker", room=GRID3)


async def next_text(client: Client, text: str) -> list[Inbound]:
    """Messages received up to and including the one whose text is `text`."""
    seen = []
    while True:
        message = await client.next_message()
        seen.append(message)
        if message.text == text:
            return seen


async def test_room_message_arrives_as_inbound(gateway: Gateway, make_client: ClientFactory):
    client = await make_client(gateway.endpoint)
    await client.wait_ready()
    before = datetime.now(UTC)

    mentioning = await gateway.say(
        ZHANG, f"@{BOT_NAME}{AT}河道有垃圾", room=GRID3, mentions=[BOT_ID]
    )
    plain = await gateway.say(LI, "收到", room=GRID3)

    first, second = await client.next_message(), await client.next_message()
    assert first.message_id == mentioning
    assert first.chat == ChatRef(GRID3, "第三网格")
    assert (first.sender_id, first.sender_name) == (ZHANG, "张三")
    assert first.text == f"@{BOT_NAME}{AT}河道有垃圾"
    assert first.mentions_bot is True
    assert first.attachment is Attachment.NONE and first.attachment_ref is None
    assert first.at.tzinfo is not None
    assert before - timedelta(seconds=1) <= first.at <= datetime.now(UTC) + timedelta(seconds=1)
    # Arrival order is kept, and the second one does not mention the bot.
    assert second.message_id == plain
    assert (second.sender_id, second.sender_alias, second.mentions_bot) == (
        LI,
        "李四-网格员",
        False,
    )


async def test_private_message_has_no_room(gateway: Gateway, make_client: ClientFactory):
    client = await make_client(gateway.endpoint)
    await client.wait_ready()

    message_id = await gateway.say(ZHANG, "我的工单呢")

    message = await client.next_message()
    assert message.message_id == message_id
    assert message.chat == ChatRef(None, None) and message.chat.is_private
    assert (message.sender_id, message.text) == (ZHANG, "我的工单呢")


async def test_send_to_room_carries_mentions(gateway: Gateway, make_client: ClientFactory):
    client = await make_client(gateway.endpoint)
    await client.wait_ready()

    sent_id = await client.transport.send(
        Outgoing(
            outbox_id=1,
            text="请今天处理",
            room_topic="第三网格",
            mention_names=("张三", "王五"),
            mention_ids=(ZHANG, ""),  # 王五 has no WeChat id yet: named, not notified
        )
    )

    [sent] = await gateway.sent()
    assert sent["id"] == sent_id and sent_id
    assert sent["roomId"] == GRID3
    assert sent["mentionIds"] == [ZHANG]
    assert sent["text"] == f"@张三{AT}@王五 请今天处理"
    # The bot's own message comes back as an event and is dropped.
    await marker(gateway)
    assert [m.text for m in await next_text(client, "marker")] == ["marker"]


async def test_a_file_reaches_the_group_byte_identical(
    gateway: Gateway, make_client: ClientFactory, tmp_path: Path
):
    """A report's chart (or a ledger) goes out as a file message, bytes unchanged."""
    client = await make_client(gateway.endpoint)
    await client.wait_ready()
    chart = jpeg(tmp_path / "weekly-chart.png", 60_000)  # over the puppet's 20 KB inline limit

    sent_id = await client.transport.send(
        Outgoing(outbox_id=3, text="周报图表", room_topic="第三网格", attachment=str(chart))
    )

    [sent] = await gateway.sent()
    assert sent["id"] == sent_id and sent["roomId"] == GRID3
    assert sent["file"] == {
        "name": "weekly-chart.png",
        "size": 60_000,
        "sha256": hashlib.sha256(chart.read_bytes()).hexdigest(),
    }
    missing = Outgoing(
        outbox_id=4, text="x", room_topic="第三网格", attachment=str(tmp_path / "no")
    )
    with pytest.raises(DeliveryError) as refused:
        await client.transport.send(missing)
    assert refused.value.permanent


async def test_send_private_by_weixin_id(gateway: Gateway, make_client: ClientFactory):
    client = await make_client(gateway.endpoint)
    await client.wait_ready()

    await client.transport.send(Outgoing(outbox_id=2, text="工单已关闭", private_to="zhangsan"))

    [sent] = await gateway.sent()
    assert (sent["conversationId"], sent["roomId"], sent["text"]) == (ZHANG, None, "工单已关闭")


async def test_unknown_room_or_contact_is_a_permanent_failure(
    gateway: Gateway, make_client: ClientFactory
):
    client = await make_client(gateway.endpoint)
    await client.wait_ready()

    with pytest.raises(DeliveryError) as room_error:
        await client.transport.send(Outgoing(outbox_id=3, text="x", room_topic="第九网格"))
    with pytest.raises(DeliveryError) as contact_error:
        await client.transport.send(Outgoing(outbox_id=4, text="x", private_to="nobody"))

    assert room_error.value.permanent and contact_error.value.permanent
    assert await gateway.sent() == []


@pytest.mark.parametrize("size", [1024 * 1024, 5 * 1024 * 1024], ids=["1MB", "5MB"])
async def test_photo_is_fetched_byte_identical(
    gateway: Gateway, make_client: ClientFactory, tmp_path: Path, size: int
):
    client = await make_client(gateway.endpoint)
    await client.wait_ready()
    photo = jpeg(tmp_path / "river.jpg", size)

    message_id = await gateway.send_file(ZHANG, photo, room=GRID3)
    message = await client.next_message()
    started = time.monotonic()
    name, data = await client.transport.fetch_attachment(message.attachment_ref or "")
    elapsed = time.monotonic() - started

    assert (message.attachment, message.attachment_ref, message.text) == (
        Attachment.IMAGE,
        message_id,
        "",
    )
    assert name == "river.jpg"
    assert hashlib.sha256(data).hexdigest() == hashlib.sha256(photo.read_bytes()).hexdigest()
    print(f"fetched {size} bytes in {elapsed * 1000:.1f} ms")


async def test_fetch_of_unknown_or_non_attachment_fails_within_timeout(
    gateway: Gateway, make_client: ClientFactory
):
    client = await make_client(gateway.endpoint, fetch_timeout=2.0)
    await client.wait_ready()
    text_id = await gateway.say(ZHANG, "只是文字", room=GRID3)
    await client.next_message()

    for ref in ("no-such-message", text_id):
        started = time.monotonic()
        with pytest.raises(DeliveryError) as error:
            await client.transport.fetch_attachment(ref)
        assert time.monotonic() - started < 2.5
        assert error.value.permanent


async def test_unsupported_message_types_are_dropped(
    gateway: Gateway, make_client: ClientFactory, tmp_path: Path
):
    client = await make_client(gateway.endpoint)
    await client.wait_ready()
    voice = tmp_path / "voice.silk"
    voice.write_bytes(os.urandom(2048))

    await gateway.send_file(ZHANG, voice, room=GRID3)  # a voice message
    await marker(gateway)

    assert [m.text for m in await next_text(client, "marker")] == ["marker"]


async def test_rooms_contacts_and_renames(gateway: Gateway, make_client: ClientFactory):
    client = await make_client(gateway.endpoint)
    await client.wait_ready()

    assert await client.transport.list_rooms() == [(GRID3, "第三网格"), (GRID5, "第五网格")]
    contacts = await client.transport.find_contacts()
    assert sorted(contacts) == [(LI, "李四", "李四-网格员"), (ZHANG, "张三", "zhangsan")]

    await gateway.setup(
        {
            "contacts": [{"id": "c-wang", "name": "王五"}],
            "rooms": [{"id": "grid7@chatroom", "topic": "第七网格", "members": ["c-wang"]}],
        }
    )
    assert (("grid7@chatroom", "第七网格")) in await client.transport.list_rooms()

    await gateway.rename_room(GRID3, "第三网格（河道）", by=ZHANG)
    await eventually(lambda: client.renames, what="the room-topic event")
    assert client.renames == [(GRID3, "第三网格", "第三网格（河道）")]
    await client.transport.send(Outgoing(outbox_id=5, text="改名了", room_topic="第三网格（河道）"))
    assert [s["roomId"] for s in await gateway.sent()] == [GRID3]


async def test_lost_login_is_reported_and_recovered(gateway: Gateway, make_client: ClientFactory):
    client = await make_client(gateway.endpoint)
    await client.wait_ready()

    await gateway.call("POST", "/logout")
    await eventually(lambda: not client.transport.is_ready(), what="logout")
    assert len(client.logouts) == 1
    with pytest.raises(DeliveryError) as error:
        await client.transport.send(Outgoing(outbox_id=6, text="x", room_topic="第三网格"))
    assert not error.value.permanent  # worth retrying once WeChat is back

    await gateway.call("POST", "/login")  # someone scanned the QR code again
    await client.wait_ready()
    assert client.logins == [BOT_ID, BOT_ID]


async def test_gateway_restart_reconnects_without_stopping_the_loop(
    gateway: Gateway, make_client: ClientFactory
):
    client = await make_client(gateway.endpoint)
    await client.wait_ready()
    ticks = 0

    async def tick() -> None:  # stands in for the web server and scheduler on the same loop
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    ticker = asyncio.create_task(tick())
    try:
        gateway.kill()
        await eventually(lambda: not client.transport.is_ready(), what="the lost connection")
        assert len(client.logouts) == 1
        during_outage = ticks
        await eventually(lambda: ticks > during_outage + 20, what="the loop to keep running")
        with pytest.raises(DeliveryError):
            await client.transport.send(Outgoing(outbox_id=7, text="x", room_topic="第三网格"))

        gateway.start()  # same port, same mock data
        await client.wait_ready()
        assert client.logins == [BOT_ID, BOT_ID]
        await client.transport.send(Outgoing(outbox_id=8, text="我回来了", room_topic="第三网格"))
        assert [s["text"] for s in await gateway.sent()] == ["我回来了"]
        message_id = await gateway.say(LI, "欢迎回来", room=GRID3)
        assert (await client.next_message()).message_id == message_id
        assert not ticker.done()
    finally:
        ticker.cancel()


async def test_gateway_down_at_start_does_not_block_or_stop_the_loop(
    tmp_path: Path, gateway: Gateway, make_client: ClientFactory
):
    gateway.kill()
    started = time.monotonic()
    client = await make_client(gateway.endpoint)
    assert time.monotonic() - started < 0.5  # start() returns at once
    loop_alive = asyncio.Event()
    asyncio.get_running_loop().call_later(1.0, loop_alive.set)
    await asyncio.wait_for(loop_alive.wait(), 5)  # a stopped loop would never get here
    assert not client.transport.is_ready()

    gateway.start()
    await client.wait_ready()


async def test_wrong_token_keeps_retrying_quietly(
    gateway: Gateway, make_client: ClientFactory, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.WARNING, logger="bot.adapters.wechaty_transport")
    client = await make_client(gateway.endpoint, token="wrong-token")

    await eventually(
        lambda: sum("UNAUTHENTICATED" in r.getMessage() for r in caplog.records) >= 2,
        what="two rejected attempts",
    )
    assert not client.transport.is_ready() and client.logins == []


async def test_timings(gateway: Gateway, wechaty_cache: Path):
    """Start-to-login and member-message-to-reply-at-gateway times (printed, loosely bound)."""
    received: asyncio.Queue[Inbound] = asyncio.Queue()
    transport = WechatyTransport(
        gateway.endpoint, "gridbot-test-token", clock=SystemClock(), cache_dir=wechaty_cache
    )
    started = time.monotonic()
    await transport.start(received.put)
    try:
        await eventually(transport.is_ready, what="login")
        login = time.monotonic() - started
        replies = []
        for n in range(20):
            await gateway.say(ZHANG, f"ping {n}", room=GRID3)
            inbound = await asyncio.wait_for(received.get(), 5)
            assert inbound.text == f"ping {n}"
            await transport.send(Outgoing(outbox_id=n, text=f"pong {n}", room_topic="第三网格"))
            replies.append(inbound.at)
        # Both ends on the gateway's clock: the member's message time, the reply's arrival.
        arrived = [s["at"] for s in await gateway.sent()]
        rounds = [a - r.timestamp() * 1000 for a, r in zip(arrived, replies, strict=True)]
        first, rounds = rounds[0], sorted(rounds)
        print(
            f"login {login * 1000:.0f} ms; message to reply at the gateway: "
            f"median {rounds[10]:.0f} ms, first {first:.0f} ms, max {rounds[-1]:.0f} ms"
        )
        assert login < 10 and rounds[10] < 1000
    finally:
        await transport.stop()
