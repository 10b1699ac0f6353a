"""The whole app, started for real on a temporary SQLite database with the demo roster.

`client` drives it through aiohttp's test client; `live_app` serves it on a free loopback
port for a real browser.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import Browser, async_playwright

from bot.app import build_app
from bot.core.clock import FixedClock
from config.settings import Settings, load_settings

TOKEN = "web-test-admin-token-0001"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DONGGUAN_ROOM = "东关社区环保网格群"
XIGUAN_ROOM = "西关社区环保网格群"
# Sunday 22 November 2026, 08:00 in Shanghai: before the 08:30 briefing and no meeting day,
# so starting the app posts nothing, whatever the hour the suite runs at.
START = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)


def settings_for(database_url: str, tmp_path: Path) -> Settings:
    """The app's settings on `database_url`, files under `tmp_path`, the test token."""
    return load_settings(
        env_file=tmp_path / "absent.env",
        environ={
            "GRIDBOT_DATABASE_URL": database_url,
            "GRIDBOT_DATA_DIR": str(tmp_path),
            "GRIDBOT_ADMIN_TOKEN": TOKEN,
        },
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return settings_for(f"sqlite:///{tmp_path / 'g.db'}", tmp_path)


@pytest.fixture
def clock() -> FixedClock:
    """The app's clock: it moves only when a test moves it."""
    return FixedClock(START)


@pytest.fixture
async def client(
    settings: Settings, clock: FixedClock
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    """A test client on the started app; it sends no token unless a test adds one."""
    async with TestClient(TestServer(build_app(settings, clock))) as test_client:
        yield test_client


@dataclass(frozen=True)
class LiveApp:
    app: web.Application
    base_url: str


@pytest.fixture
async def live_app(settings: Settings, clock: FixedClock) -> AsyncIterator[LiveApp]:
    """The app served on a free port of 127.0.0.1, as `gridbot run` serves it."""
    app = build_app(settings, clock)
    runner = web.AppRunner(app, shutdown_timeout=5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield LiveApp(app, f"http://{host}:{port}")
    finally:
        await runner.cleanup()


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()
