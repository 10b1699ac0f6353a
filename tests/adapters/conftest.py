"""Fixtures for the WeChat transport: a real gateway process and a real python-wechaty client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.wechaty_transport import WechatyTransport
from bot.core.clock import SystemClock
from bot.core.messages import Inbound
from tests.adapters.gateway import Gateway, eventually, running_gateway

TOKEN = "gridbot-test-token"
BOT_ID = "gridbot-self"
BOT_NAME = "网格通"
ZHANG = "c-zhang"
LI = "c-li"
GRID3 = "grid3@chatroom"  # the mock routes only ids with "@" to rooms
GRID5 = "grid5@chatroom"


def spec() -> dict[str, Any]:
    return {
        "bot": {"id": BOT_ID, "name": BOT_NAME},
        "contacts": [
            {"id": ZHANG, "name": "张三", "weixin": "zhangsan"},
            {"id": LI, "name": "李四", "alias": "李四-网格员"},
        ],
        "rooms": [
            {"id": GRID3, "topic": "第三网格", "members": [ZHANG, LI]},
            {"id": GRID5, "topic": "第五网格", "members": [LI]},
        ],
    }


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    with running_gateway(tmp_path, spec(), TOKEN) as gw:
        yield gw


@dataclass
class Client:
    """A started transport plus what it reported: inbound messages, logins, logouts."""

    transport: WechatyTransport
    inbox: asyncio.Queue[Inbound] = field(default_factory=asyncio.Queue)
    logins: list[str] = field(default_factory=list)
    logouts: list[str] = field(default_factory=list)
    renames: list[tuple[str, str, str]] = field(default_factory=list)

    async def next_message(self, timeout: float = 5.0) -> Inbound:
        return await asyncio.wait_for(self.inbox.get(), timeout)

    async def wait_ready(self, timeout: float = 15.0) -> None:
        await eventually(self.transport.is_ready, timeout=timeout, what="login")


ClientFactory = Callable[..., Awaitable[Client]]


@pytest.fixture(scope="session")
def wechaty_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # wechaty reads CACHE_DIR once per process, at import: one directory for the whole run.
    return tmp_path_factory.mktemp("wechaty-cache")


@pytest.fixture
async def make_client(wechaty_cache: Path) -> AsyncIterator[ClientFactory]:
    """Start WechatyTransports with test-sized timeouts; all are stopped at the end."""
    started: list[Client] = []

    async def make(endpoint: str, token: str = TOKEN, **overrides: Any) -> Client:
        client: Client
        settings: dict[str, Any] = {
            "backoff_initial": 0.1,
            "backoff_cap": 0.5,
            "connect_timeout": 2.0,
            "send_timeout": 5.0,
            "fetch_timeout": 2.0,
            "probe_interval": 1.0,
            "probe_timeout": 1.0,
        }
        settings.update(overrides)
        transport = WechatyTransport(
            endpoint,
            token,
            clock=SystemClock(),
            cache_dir=wechaty_cache,
            on_login=lambda contact_id: client.logins.append(contact_id),
            on_logout=lambda reason: client.logouts.append(reason),
            on_room_topic=lambda *change: client.renames.append(change),
            **settings,
        )
        client = Client(transport)
        await transport.start(client.inbox.put)
        started.append(client)
        return client

    yield make
    for client in started:
        await client.transport.stop()
