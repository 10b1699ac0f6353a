"""With WeChat configured but its gateway unreachable, the page still serves and says so."""

from __future__ import annotations

import socket
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_app
from config.settings import load_settings
from tests.web.conftest import AUTH, TOKEN


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_page_stays_up_and_reports_the_gateway_is_down(tmp_path: Path) -> None:
    settings = load_settings(
        env_file=tmp_path / "absent.env",
        environ={
            "GRIDBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}",
            "GRIDBOT_DATA_DIR": str(tmp_path),
            "GRIDBOT_ADMIN_TOKEN": TOKEN,
            # Nothing listens there: the bot must keep trying without taking the page down.
            "WECHATY_PUPPET_SERVICE_ENDPOINT": f"127.0.0.1:{free_port()}",
            "WECHATY_PUPPET_SERVICE_TOKEN": "test",
        },
    )
    async with TestClient(TestServer(build_app(settings))) as client:
        health = await (await client.get("/healthz")).json()
        assert health["transport"] == "wechat" and health["logged_in"] is False
        status = await (await client.get("/api/status", headers=AUTH)).json()
        assert "微信" in str(status)
        refused = await client.get("/api/messages?after=0&wait=0", headers=AUTH)
        assert refused.status == 409
        assert (await refused.json())["error"].startswith("机器人已连接真实微信")
        page = await client.get("/", headers=AUTH, allow_redirects=False)
        assert page.status == 302 and page.headers["Location"] == "/console"  # no simulator
