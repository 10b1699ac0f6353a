"""The admin page's JSON API and its token, against the real app and the demo roster."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestClient, TestServer

from bot.adapters.simulator import SimulatorTransport
from bot.app import build_app
from bot.core.clock import FixedClock
from bot.services.understanding import texts as report_texts
from bot.web import keys
from bot.web import texts as web_texts
from bot.web.auth import RedactedAccessLogger
from config.settings import Settings
from tests.web.conftest import AUTH, DONGGUAN_ROOM, TOKEN, XIGUAN_ROOM

Client = TestClient[web.Request, web.Application]
TICKET_CODE = re.compile(r"工单 (\d{6,})")


async def members_of(client: Client, room: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/rooms/{room}/members", headers=AUTH)
    assert response.status == 200
    return cast(list[dict[str, Any]], (await response.json())["members"])


async def person(client: Client, room: str, name: str) -> int:
    return next(m["person_id"] for m in await members_of(client, room) if m["name"] == name)


async def say(client: Client, room: str, person_id: object, text: object) -> Any:
    body = {"room": room, "person_id": person_id, "text": text}
    return await client.post("/api/messages", json=body, headers=AUTH)


async def lines_after(client: Client, after: int, wait: float = 0, room: str = "") -> Any:
    query = f"after={after}&wait={wait}" + (f"&room={room}" if room else "")
    response = await client.get(f"/api/messages?{query}", headers=AUTH)
    assert response.status == 200
    return await response.json()


async def bot_lines_after(client: Client, after: int, polls: int = 40) -> list[Any]:
    """Long-poll until the bot says something (at most `polls` polls of up to 0.5 s)."""
    for _ in range(polls):
        data = await lines_after(client, after, wait=0.5)
        found = [line for line in data["lines"] if line["from_bot"]]
        if found:
            return found
        after = data["last"]
    return []


async def test_everything_but_healthz_needs_the_token(client: Client) -> None:
    for path in ("/api/rooms", "/api/status", "/api/tickets", "/api/messages?wait=0"):
        response = await client.get(path)
        assert response.status == 401, path
        assert (await response.json())["error"] == web_texts.WEB_NEED_TOKEN
    page = await client.get("/", allow_redirects=False)
    assert page.status == 302  # a browser without the token is sent to the office log-in
    assert page.headers["Location"].startswith("/console/login?next=")
    wrong = await client.get("/?token=wrong", allow_redirects=False)
    assert wrong.status == 401
    bad_bearer = await client.get("/api/rooms", headers={"Authorization": "Bearer nope"})
    assert bad_bearer.status == 401
    refused = await client.post("/api/messages", json={"room": DONGGUAN_ROOM, "text": "hi"})
    assert refused.status == 401

    health = await client.get("/healthz")
    assert health.status == 200
    assert await health.json() == {
        "ok": True,
        "database": "ok",
        "transport": "simulator",
        "logged_in": True,
    }


async def test_token_link_sets_a_strict_cookie_and_cleans_the_address(client: Client) -> None:
    response = await client.get(f"/?token={TOKEN}", allow_redirects=False)
    assert response.status == 302
    assert response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie

    page = await client.get("/")  # the cookie jar now carries the token
    assert page.status == 200
    assert "以谁的身份发言" in await page.text()
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    tickets_page = await client.get("/tickets")
    assert tickets_page.status == 200
    assert (await client.get("/api/rooms")).status == 200


async def test_post_from_another_site_is_refused(client: Client) -> None:
    await client.get(f"/?token={TOKEN}", allow_redirects=False)
    response = await client.post(
        "/api/messages",
        json={"room": DONGGUAN_ROOM, "person_id": 1, "text": "hi"},
        headers={"Origin": "http://evil.example"},
    )
    assert response.status == 403


async def test_status_shows_the_transport_and_the_report_template(client: Client) -> None:
    response = await client.get("/api/status", headers=AUTH)
    data = await response.json()
    assert data["transport"] == "simulator"
    assert data["logged_in"] is True
    assert data["problem"] is None
    assert data["unknown_rooms"] == []
    assert data["report_template"] == report_texts.REPORT_TEMPLATE
    assert (data["outbox_waiting"], data["outbox_failed"]) == (0, 0)


async def test_status_counts_messages_that_failed_for_good(client: Client) -> None:
    from bot.services.outbox import queue
    from bot.services.outbox.queue import Draft
    from bot.web import keys

    runtime = client.app[keys.RUNTIME]
    now = runtime.clock.now()
    with runtime.transaction() as session:
        [oid] = queue.enqueue(session, [Draft(key="lost", text="你好", room_topic="无此群")], now)
        queue.mark_failed(session, oid, now, "unknown room", permanent=True)
    data = await (await client.get("/api/status", headers=AUTH)).json()
    assert data["outbox_failed"] == 1


async def test_rooms_list_the_demo_groups_highest_level_first(client: Client) -> None:
    rooms = (await (await client.get("/api/rooms", headers=AUTH)).json())["rooms"]
    topics = [room["topic"] for room in rooms]
    assert {"城区环保网格平台群", DONGGUAN_ROOM, XIGUAN_ROOM} <= set(topics)
    assert topics[0] == "城区环保网格平台群"
    levels = [room["level"] for room in rooms]
    assert levels == sorted(levels)


async def test_members_of_a_group_include_its_sub_grids(client: Client) -> None:
    members = await members_of(client, DONGGUAN_ROOM)
    assert {"name": "张伟", "role": "网格员", "grid": "东关社区一片区"} in [
        {k: m[k] for k in ("name", "role", "grid")} for m in members
    ]
    missing = await client.get("/api/rooms/没有这个群/members", headers=AUTH)
    assert missing.status == 404
    assert "没有这个群" in (await missing.json())["error"]


async def test_a_report_opens_a_ticket_and_mentions_the_grid_head(client: Client) -> None:
    members = await members_of(client, DONGGUAN_ROOM)
    head = next(
        m["name"] for m in members if m["grid"] == "东关社区一片区" and m["role"] == "网格长"
    )
    zhang_wei = await person(client, DONGGUAN_ROOM, "张伟")

    response = await say(client, DONGGUAN_ROOM, zhang_wei, report_texts.REPORT_TEMPLATE)
    assert response.status == 201

    said = (await lines_after(client, 0))["lines"]
    assert [(line["sender"], line["text"]) for line in said][:1] == [
        ("张伟", report_texts.REPORT_TEMPLATE)
    ]
    replies = await bot_lines_after(client, said[0]["id"])
    assert len(replies) == 1
    reply = replies[0]
    assert reply["room"] == DONGGUAN_ROOM
    assert reply["sender"] == "网格通"
    assert reply["text"].startswith(f"@{head}")
    assert head in reply["mentions"]
    assert re.fullmatch(r"\d{1,2}月\d{1,2}日 \d{2}:\d{2}", reply["time"])
    code = TICKET_CODE.search(reply["text"])
    assert code is not None

    tickets = (await (await client.get("/api/tickets", headers=AUTH)).json())["tickets"]
    assert [(t["code"], t["status_name"], t["grid"], t["reporter"]) for t in tickets] == [
        (code.group(1), "待受理", "CQ-XJ-01-01", "张伟")
    ]
    assert tickets[0]["location"] == "东关社区3号楼东侧"
    assert tickets[0]["overdue"] is False


async def test_ordinary_chat_gets_no_reply(client: Client) -> None:
    zhang_wei = await person(client, DONGGUAN_ROOM, "张伟")
    response = await say(client, DONGGUAN_ROOM, zhang_wei, "大家好，今天上午巡查一切正常。")
    assert response.status == 201
    said = (await lines_after(client, 0))["lines"]
    assert [line["sender"] for line in said] == ["张伟"]
    # Replies go out in order: when the report after it is answered, an answer to the chat
    # would have come first.
    await say(client, DONGGUAN_ROOM, zhang_wei, report_texts.REPORT_TEMPLATE)
    replies = await bot_lines_after(client, said[-1]["id"])
    assert [reply["text"].split("\n")[0].split(" ", 1)[1] for reply in replies] == [
        "已登记工单 112201"
    ]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            {"room": "没有这个群", "person_id": "张伟", "text": "你好"},
            web_texts.WEB_UNKNOWN_ROOM.format(room="没有这个群"),
        ),
        (
            {"room": DONGGUAN_ROOM, "person_id": "林淑芬", "text": "你好"},
            web_texts.WEB_NOT_IN_ROOM.format(room=DONGGUAN_ROOM),
        ),
        ({"room": DONGGUAN_ROOM, "person_id": "张伟", "text": "  \n "}, web_texts.WEB_EMPTY_TEXT),
        (
            {"room": DONGGUAN_ROOM, "person_id": "张伟", "text": "长" * 2001},
            web_texts.WEB_TEXT_TOO_LONG.format(limit=2000),
        ),
        (
            {"room": DONGGUAN_ROOM, "person_id": None, "text": "你好"},
            web_texts.WEB_NOT_IN_ROOM.format(room=DONGGUAN_ROOM),
        ),
        ({"room": DONGGUAN_ROOM, "text": 5}, web_texts.WEB_BAD_REQUEST),
        ([1, 2], web_texts.WEB_BAD_REQUEST),
    ],
)
async def test_bad_posts_are_refused_in_chinese(client: Client, body: Any, error: str) -> None:
    names = {"张伟": DONGGUAN_ROOM, "林淑芬": XIGUAN_ROOM}  # 林淑芬 heads 西关社区
    if isinstance(body, dict) and body.get("person_id") in names:
        body["person_id"] = await person(client, names[body["person_id"]], body["person_id"])
    response = await client.post("/api/messages", json=body, headers=AUTH)
    assert response.status == 400
    assert (await response.json())["error"] == error
    assert (await lines_after(client, 0))["lines"] == []


async def test_a_body_that_is_not_json_is_refused(client: Client) -> None:
    response = await client.post("/api/messages", data="room=x", headers=AUTH)
    assert response.status == 400
    assert (await response.json())["error"] == web_texts.WEB_BAD_REQUEST


async def until_a_poll_waits(client: Client) -> None:
    """Return once a long poll is parked in the simulator (bounded, not a timing check)."""
    simulator = client.app[keys.SIMULATOR]
    assert isinstance(simulator, SimulatorTransport)
    for _ in range(500):
        if simulator.listeners:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the long poll never started waiting")


async def test_long_poll_answers_as_soon_as_someone_speaks(client: Client) -> None:
    zhang_wei = await person(client, DONGGUAN_ROOM, "张伟")
    waiting = asyncio.create_task(lines_after(client, 0, wait=20))
    await until_a_poll_waits(client)
    assert not waiting.done()
    await say(client, DONGGUAN_ROOM, zhang_wei, "收到")
    # Far less than the poll's own 20 s: only news can have ended it.
    data = await asyncio.wait_for(waiting, 5)
    assert [line["text"] for line in data["lines"]] == ["收到"]


async def test_a_room_filter_shows_one_group_and_still_advances(client: Client) -> None:
    zhang_wei = await person(client, DONGGUAN_ROOM, "张伟")
    lin = await person(client, XIGUAN_ROOM, "林淑芬")
    await say(client, DONGGUAN_ROOM, zhang_wei, "东关这边正常")
    await say(client, XIGUAN_ROOM, lin, "西关这边正常")
    data = await lines_after(client, 0, room=XIGUAN_ROOM)
    assert [(line["room"], line["text"]) for line in data["lines"]] == [
        (XIGUAN_ROOM, "西关这边正常")
    ]
    assert data["last"] == 2
    # With no news anywhere the poll waits; news in another group ends it with no lines
    # but a newer `last`, so the page's next poll does not see the same news again.
    quiet = asyncio.create_task(lines_after(client, data["last"], wait=20, room=DONGGUAN_ROOM))
    await until_a_poll_waits(client)
    assert not quiet.done()
    await say(client, XIGUAN_ROOM, lin, "西关又说一句")
    answered = await asyncio.wait_for(quiet, 5)
    assert answered["lines"] == []
    assert answered["last"] == 3


async def test_the_token_never_reaches_the_access_log(
    settings: Settings, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    """`gridbot run` logs every request; the first-visit link carries the token."""
    app = build_app(settings, clock)
    runner = web.AppRunner(app, access_log_class=RedactedAccessLogger)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        with caplog.at_level(logging.INFO, logger="aiohttp.access"):
            async with ClientSession() as session:
                link = f"http://{host}:{port}/?token={TOKEN}"
                async with session.get(link, allow_redirects=False) as response:
                    assert response.status == 302
                async with session.get(f"http://{host}:{port}/?token=wrong-guess-xyz") as denied:
                    assert denied.status == 401
    finally:
        await runner.cleanup()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "GET /?token=***" in logged
    assert TOKEN not in logged and "wrong-guess-xyz" not in logged


async def test_a_database_outage_is_a_clear_503_and_one_log_line(
    client: Client, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    zhang_wei = await person(client, DONGGUAN_ROOM, "张伟")
    runtime = client.app[keys.RUNTIME]
    database = Path(settings.database_url.removeprefix("sqlite:///"))
    runtime.engine.dispose()
    database.rename(database.with_suffix(".away"))
    database.mkdir()  # the file's place is taken: every connection now fails
    try:
        health = await client.get("/healthz")
        assert health.status == 503
        assert (await health.json())["database"] == "down"
        with caplog.at_level(logging.INFO):
            for _ in range(5):
                refused = await say(client, DONGGUAN_ROOM, zhang_wei, "受理 112201")
                assert refused.status == 503
                assert (await refused.json())["error"] == web_texts.WEB_DATABASE_DOWN
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert [r.getMessage().split(":")[0] for r in errors] == ["database unreachable"]
    finally:
        database.rmdir()
        database.with_suffix(".away").rename(database)
    assert (await client.get("/healthz")).status == 200
    assert (await say(client, DONGGUAN_ROOM, zhang_wei, "收到")).status == 201


async def test_a_report_chart_is_a_line_with_a_file_behind_the_token(
    client: Client, clock: FixedClock
) -> None:
    head = await person(client, DONGGUAN_ROOM, "马建国")
    assert (await say(client, DONGGUAN_ROOM, head, "周报")).status == 201
    said: list[Any] = []
    after = 0
    for _ in range(40):
        clock.advance(timedelta(seconds=1))  # two messages into one group: a second apart
        data = await lines_after(client, after, wait=0.5)
        said += [line for line in data["lines"] if line["from_bot"]]
        after = data["last"]
        if len(said) >= 2:
            break
    text, chart = said[:2]
    assert text["text"].startswith("【周报】东关社区") and text["attachment"] is None
    assert chart["text"] == "周报图表：东关社区"
    assert chart["attachment"].startswith("/api/files/weekly-CQ-XJ-01-")
    picture = await client.get(chart["attachment"], headers=AUTH)
    assert picture.status == 200 and (await picture.read()).startswith(b"\x89PNG")
    assert (await client.get(chart["attachment"])).status == 401  # the token guards it
    missing = await client.get("/api/files/..%2Fgridbot.db", headers=AUTH)
    assert missing.status == 404


async def test_a_reply_begun_as_the_bot_stops_under_its_message_is_still_sent_once(
    client: Client, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    deliverer = client.app[keys.DELIVERER]
    simulator = client.app[keys.SIMULATOR]
    zhang_wei = await person(client, DONGGUAN_ROOM, "张伟")
    begun, go_on = threading.Event(), threading.Event()
    take = deliverer.take

    def slow_take(session: Any, ids: list[int]) -> list[Any]:
        result = take(session, ids)  # claimed and begun, in the message's transaction
        begun.set()
        go_on.wait(10)
        return result

    monkeypatch.setattr(deliverer, "take", slow_take)
    before = (await lines_after(client, 0))["last"]
    task = asyncio.create_task(
        simulator.post(DONGGUAN_ROOM, f"roster:{zhang_wei}", "张伟", report_texts.REPORT_TEMPLATE)
    )
    assert await asyncio.to_thread(begun.wait, 10)
    # The transport stops the message's task while its thread has begun the reply.
    task.cancel()
    await asyncio.sleep(0)
    go_on.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    # Put back rather than left begun and never sent: the delivery loop sends it, once
    # (after the group's gap, which its take had counted).
    clock.advance(timedelta(seconds=1))
    replies = await bot_lines_after(client, before)
    assert len(replies) == 1 and TICKET_CODE.search(replies[0]["text"])
    later = await lines_after(client, replies[0]["id"], wait=1.5)
    assert [line for line in later["lines"] if line["from_bot"]] == []


async def test_the_reader_is_warmed_up_before_the_transport_takes_messages(
    settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from handlers.dispatcher import Dispatcher

    order: list[str] = []
    real_start = SimulatorTransport.start

    async def start(self: SimulatorTransport, on_message: Any) -> None:
        order.append("transport")
        await real_start(self, on_message)

    monkeypatch.setattr(Dispatcher, "warm_up", lambda self: order.append("warm-up"))
    monkeypatch.setattr(SimulatorTransport, "start", start)
    async with TestClient(TestServer(build_app(settings, clock))):
        assert order == ["warm-up", "transport"]


async def test_a_monthly_report_does_not_hold_up_the_messages_behind_it(
    client: Client, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 月报 over a whole city reads for seconds. The transport hands the bot one message
    at a time and waits for each (`on_message`), so a slow command is answered beside the
    stream: its message returns at once, the next group's report is answered meanwhile,
    and the 月报 comes when it is ready."""
    from bot.services.reports import sweep as report_sweep

    reading, go_on = threading.Event(), threading.Event()
    on_demand = report_sweep.on_demand

    def long_read(*args: Any) -> Any:
        reading.set()
        go_on.wait(10)
        return on_demand(*args)

    monkeypatch.setattr(report_sweep, "on_demand", long_read)
    head = await person(client, "城区环保网格平台群", "陈国栋")
    zhang_wei = await person(client, DONGGUAN_ROOM, "张伟")
    try:
        asked = await asyncio.wait_for(say(client, "城区环保网格平台群", head, "月报"), 5)
        assert asked.status == 201  # handed back while the report is still being read
        assert await asyncio.to_thread(reading.wait, 10)
        # The long read holds no write lock: another writer gets one without waiting.
        path = settings.database_url.removeprefix("sqlite:///")
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
        finally:
            other.close()
        before = (await lines_after(client, 0))["last"]
        await asyncio.wait_for(
            say(client, DONGGUAN_ROOM, zhang_wei, report_texts.REPORT_TEMPLATE), 5
        )
        [ticket] = await bot_lines_after(client, before)
        assert ticket["room"] == DONGGUAN_ROOM and TICKET_CODE.search(ticket["text"])
        assert not go_on.is_set()
    finally:
        go_on.set()
    report = await bot_lines_after(client, ticket["id"])
    assert report and report[0]["room"] == "城区环保网格平台群"
    assert report[0]["text"].startswith("【月报】城区")
