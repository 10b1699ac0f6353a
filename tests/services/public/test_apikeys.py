"""Open311 api keys: shown once, stored as a digest, dead once revoked."""

from __future__ import annotations

import hashlib

import pytest
from sqlmodel import select

from bot.core.errors import UserError
from bot.services.public import apikeys
from models.tables import ApiKey
from tests.conftest import Gridbot
from tests.harness import Harness


def test_a_key_works_until_revoked_and_only_its_digest_is_stored(bot: Harness) -> None:
    now = bot.clock.now()
    with bot.runtime.transaction() as session:
        issued = apikeys.issue(session, "12345热线", now)
    with bot.runtime.transaction() as session:
        row = session.exec(select(ApiKey)).one()
        assert row.key_hash == hashlib.sha256(issued.key.encode()).hexdigest()
        assert issued.key not in repr(row)
        assert apikeys.check(session, issued.key) == issued.id
        assert apikeys.check(session, issued.key + "x") is None
        assert apikeys.check(session, None) is None
        assert apikeys.revoke(session, issued.id, now)
        assert not apikeys.revoke(session, issued.id, now)  # once
    with bot.runtime.transaction() as session:
        assert apikeys.check(session, issued.key) is None
        [listed] = apikeys.list_keys(session)
    assert (listed.name, listed.revoked_at) == ("12345热线", now)


def test_a_key_needs_a_name(bot: Harness) -> None:
    with bot.runtime.transaction() as session, pytest.raises(UserError, match="名称"):
        apikeys.issue(session, " ", bot.clock.now())


def test_the_command_line_issues_lists_and_revokes_keys(gridbot: Gridbot) -> None:
    issued = gridbot("apikey", "add", "12345热线").stdout
    key = next(line for line in issued.splitlines() if line.startswith("g311_"))
    assert "只显示这一次" in issued and len(key) > 30
    assert "12345热线" in gridbot("apikey", "list").stdout
    assert key not in gridbot("apikey", "list").stdout
    assert "已停用" in gridbot("apikey", "revoke", "1").stdout
    again = gridbot("apikey", "revoke", "1", ok=False)
    assert again.returncode == 2 and "没有可停用的密钥" in again.stderr
    assert "已停用（" in gridbot("apikey", "list").stdout
