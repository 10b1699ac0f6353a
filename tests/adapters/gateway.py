"""Start, stop, restart and drive the loopback test gateway (tests/gateway/server.mjs).

The gateway is the official Wechaty PuppetServer backed by PuppetMock, in a Node process of
its own (own process group, so killing it leaves nothing behind). Its HTTP control API lets a
test make mock members talk and read back what the bot sent. `npm install --prefix
tests/gateway` must have been run (the Makefile does); this module never runs npm.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

GATEWAY_DIR = Path(__file__).resolve().parents[1] / "gateway"
SERVER = GATEWAY_DIR / "server.mjs"
START_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def missing_prerequisite() -> str | None:
    """Why the gateway cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (GATEWAY_DIR / "node_modules" / "wechaty-puppet-service").is_dir():
        return "run `npm install --prefix tests/gateway` first"
    return None


class GatewayError(RuntimeError):
    pass


class Gateway:
    """One gateway process; `restart()` brings it back on the same ports with the same data."""

    def __init__(self, workdir: Path, spec: dict[str, Any], token: str) -> None:
        self.workdir = workdir
        self.spec = spec
        self.token = token
        self.port = free_port()
        self.control_port = free_port()
        self.log_path = workdir / "gateway.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        if self._process is not None:
            raise GatewayError("gateway already running")
        spec_path = self.workdir / "gateway-spec.json"
        spec_path.write_text(json.dumps(self.spec, ensure_ascii=False), encoding="utf-8")
        command = ["node", str(SERVER), "--port", str(self.port)]
        command += ["--control-port", str(self.control_port), "--token", self.token]
        command += ["--spec", str(spec_path)]
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                command,
                cwd=GATEWAY_DIR,
                stdin=subprocess.PIPE,  # the gateway exits when this closes, even if we crash
                stdout=subprocess.PIPE,
                stderr=log,
                start_new_session=True,
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT
        stdout = self._process.stdout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            readable, _, _ = select.select([stdout], [], [], 0.1)
            if readable and stdout.readline().startswith(b"READY "):
                return
        log = self.log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
        self.kill()
        raise GatewayError(f"gateway did not become ready; log:\n{log}")

    def kill(self) -> None:
        """Kill the whole process group at once, like a crash."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                pipe.close()

    def stop(self) -> None:
        """Stop politely (close stdin, then SIGTERM), killing the group if it lingers."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def restart(self) -> None:
        self.kill()
        self.start()

    # The control API. Calls run in a thread so the python-wechaty client, on the test's event
    # loop, keeps reading its event stream meanwhile.

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return await asyncio.to_thread(self._call, method, path, body)

    def _call(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        data = json.dumps(body or {}, ensure_ascii=False).encode() if method == "POST" else None
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.control_port}{path}",
            data=data,
            method=method,
            headers={"content-type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise GatewayError(f"{method} {path}: {exc.read().decode()}") from exc

    async def say(
        self, sender: str, text: str, *, room: str | None = None, mentions: list[str] | None = None
    ) -> str:
        """`sender` says `text` in `room`, or privately to the bot; returns the message id."""
        body = {"from": sender, "text": text, "room": room, "mentions": mentions or []}
        return str((await self.call("POST", "/say", body))["id"])

    async def say_timed(
        self, sender: str, text: str, *, room: str | None = None
    ) -> tuple[str, float]:
        """Like `say`; also returns the message's timestamp on the gateway's clock (ms)."""
        body: dict[str, Any] = {"from": sender, "text": text, "room": room, "mentions": []}
        answer = await self.call("POST", "/say", body)
        return str(answer["id"]), float(answer["at"])

    async def redeliver(self, message_id: str) -> None:
        """Emit the message event for an existing message again (a redelivery)."""
        await self.call("POST", "/redeliver", {"id": message_id})

    async def wait_sent(self, after: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """What the bot sent after its first `after` messages, waiting up to `timeout` seconds
        (at most 9) for at least one; empty if nothing came."""
        millis = int(min(timeout, 9.0) * 1000)
        result: list[dict[str, Any]] = await self.call(
            "GET", f"/wait?after={after}&timeout={millis}"
        )
        return result

    async def send_file(self, sender: str, path: Path, *, room: str | None = None) -> str:
        """`sender` posts the file at `path` (its extension picks the message type)."""
        body = {"from": sender, "path": str(path), "room": room}
        return str((await self.call("POST", "/file", body))["id"])

    async def setup(self, more: dict[str, Any]) -> None:
        """Create more contacts and rooms (same shape as the spec); a restart keeps them."""
        await self.call("POST", "/setup", more)
        for key in ("contacts", "rooms"):
            self.spec.setdefault(key, []).extend(more.get(key, []))

    async def rename_room(self, room: str, topic: str, by: str) -> None:
        await self.call("POST", "/topic", {"room": room, "topic": topic, "by": by})
        for entry in self.spec.get("rooms", []):
            if entry["id"] == room:
                entry["topic"] = topic  # a restart keeps the new name

    async def sent(self) -> list[dict[str, Any]]:
        """What the bot sent, in order: id, roomId, conversationId, text, mentionIds."""
        result: list[dict[str, Any]] = await self.call("GET", "/sent")
        return result

    async def status(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("GET", "/status")
        return result


async def eventually(
    check: Callable[[], Any], *, timeout: float = 15.0, what: str = "condition"
) -> Any:
    """Poll `check` until it returns something truthy; fail the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.01)


@contextlib.contextmanager
def running_gateway(workdir: Path, spec: dict[str, Any], token: str) -> Iterator[Gateway]:
    """A started gateway, stopped afterwards; skipped without node, failed under CI=true."""
    reason = missing_prerequisite()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the test gateway is required under CI=true: {reason}")
        pytest.skip(reason)
    gw = Gateway(workdir, spec, token)
    gw.start()
    try:
        yield gw
    finally:
        gw.stop()
