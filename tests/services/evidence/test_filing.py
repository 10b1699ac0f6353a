"""Photos after a report are filed on its ticket, byte for byte; failures are never silent."""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import col

from bot.core.messages import Attachment, ChatRef, Inbound
from bot.core.ports import DeliveryError
from bot.services.evidence import filing
from handlers.dispatcher import Dispatcher
from models.tables import Evidence
from tests.harness import Harness, Sent


@pytest.fixture
def bot(engine: Engine, tmp_path: Path) -> Harness:
    return Harness.on(engine, data_dir=tmp_path)


class Photos:
    """Stands in for WeChat's servers: hands out bytes by reference, or fails on purpose."""

    def __init__(self, failures: int = 0) -> None:
        self.store: dict[str, bytes] = {}
        self.failures = failures
        self.calls = 0

    def add(self, size: int) -> str:
        ref = uuid.uuid4().hex
        self.store[ref] = os.urandom(size)
        return ref

    async def fetch(self, ref: str) -> tuple[str, bytes]:
        self.calls += 1
        if self.calls <= self.failures:
            raise DeliveryError("gateway timed out")
        return f"{ref}.jpg", self.store[ref]


def photo(bot: Harness, who: str, ref: str, room: str = "一村群") -> Inbound:
    return Inbound(
        message_id=f"m-{ref}",
        chat=ChatRef(room, room),
        sender_id=who,
        sender_name=who,
        text="",
        at=bot.clock.now(),
        attachment=Attachment.IMAGE,
        attachment_ref=ref,
    )


async def send(bot: Harness, photos: Photos, inbound: Inbound) -> list[Sent]:
    """The app's path for an attachment: the dispatcher claims it, then it is collected."""
    ids = Dispatcher(bot.runtime).handle(inbound)
    ids += await filing.collect(bot.runtime, photos.fetch, [inbound.message_id], backoff=0)
    return bot._deliver(ids)


async def test_nine_photos_after_a_report_are_saved_and_acknowledged_once(
    bot: Harness, engine: Engine
) -> None:
    code = bot.report("一村群", "巡查员辛")
    photos = Photos()
    refs = [photos.add(200_000 + n) for n in range(8)] + [photos.add(5 * 1024 * 1024)]
    for ref in refs:
        bot.clock.advance(timedelta(seconds=2))
        await send(bot, photos, photo(bot, "wx_a_member", ref))
    with engine.connect() as c:
        rows = c.execute(
            select(col(Evidence.sha256), col(Evidence.path), col(Evidence.status))
        ).all()
    assert len(rows) == 9
    for (digest, path, status), ref in zip(rows, refs, strict=True):
        assert status == "saved"
        assert Path(cast(str, path)).read_bytes() == photos.store[ref]
        assert digest == hashlib.sha256(photos.store[ref]).hexdigest()
    acks = bot.flush(timedelta(seconds=30))
    assert [a.text for a in acks if "已收到" in a.text] == [
        f"已收到工单 {code} 的现场照片/视频，共 9 个，已归档。"
    ]
    [reply] = bot.say("一村群", "巡查员辛", f"查询 {code}")
    assert "现场照片/视频：9 个" in reply.text


async def test_a_failing_download_is_retried_then_reported(bot: Harness, engine: Engine) -> None:
    code = bot.report("一村群", "巡查员辛")
    retried = Photos(failures=2)
    await send(bot, retried, photo(bot, "wx_a_member", retried.add(1000)))
    assert retried.calls == 3
    broken = Photos(failures=99)
    ref = broken.add(1000)
    [told] = await send(bot, broken, photo(bot, "wx_a_member", ref))
    assert told.mentions == ("巡查员辛",)
    assert told.text == f"工单 {code} 的一个照片/视频没有接收成功（已重试 3 次），请重新发送。"
    with engine.connect() as c:
        assert sorted(c.execute(select(col(Evidence.status))).scalars()) == ["missing", "saved"]


async def test_photos_outside_the_window_or_from_strangers_are_not_filed(
    bot: Harness, engine: Engine
) -> None:
    bot.report("一村群", "巡查员辛")
    photos = Photos()
    await send(bot, photos, photo(bot, "stranger", photos.add(10)))
    bot.clock.advance(timedelta(minutes=11))
    await send(bot, photos, photo(bot, "wx_a_member", photos.add(10)))
    with engine.connect() as c:
        assert c.execute(select(col(Evidence.id))).all() == []
    assert photos.calls == 0


async def test_naming_a_ticket_directs_the_next_photos(bot: Harness, engine: Engine) -> None:
    first = bot.report("一村群", "巡查员辛")
    bot.report("一村群", "巡查员辛", location="另一处")
    bot.clock.advance(timedelta(minutes=30))
    [ready] = bot.say("一村群", "片长庚", f"照片 {first}")
    assert ready.text.startswith(f"请在 10 分钟内发送工单 {first} 的现场照片")
    photos = Photos()
    await send(bot, photos, photo(bot, "wx_a_head", photos.add(50_000)))
    with engine.connect() as c:
        [(ticket_id,)] = c.execute(select(col(Evidence.ticket_id))).all()
    assert ticket_id == 1


async def test_redelivered_photo_is_filed_once(bot: Harness, engine: Engine) -> None:
    bot.report("一村群", "巡查员辛")
    photos = Photos()
    inbound = photo(bot, "wx_a_member", photos.add(1000))
    await send(bot, photos, inbound)
    await send(bot, photos, replace(inbound))
    with engine.connect() as c:
        assert len(c.execute(select(col(Evidence.id))).all()) == 1


async def test_a_photo_claimed_before_a_crash_is_collected_at_the_next_start(
    bot: Harness, engine: Engine
) -> None:
    bot.report("一村群", "巡查员辛")
    photos = Photos()
    inbound = photo(bot, "wx_a_member", photos.add(2000))
    Dispatcher(bot.runtime).handle(inbound)  # claimed; then the process died before fetching
    with engine.connect() as c:
        assert c.execute(select(col(Evidence.status))).scalars().all() == ["pending"]
    ids = await filing.collect(bot.runtime, photos.fetch, backoff=0)  # at start: all pending
    [ack] = bot.flush(timedelta(seconds=30))
    assert ids and ack.text.startswith("已收到工单 ")
    with engine.connect() as c:
        assert c.execute(select(col(Evidence.status))).scalars().all() == ["saved"]
