"""Settings from the environment and `.env`: defaults, precedence, and one-line refusals."""

from __future__ import annotations

import os
from datetime import time
from pathlib import Path

import pytest

from config.settings import (
    DEFAULT_CATEGORIES,
    DEMO_ROSTER,
    Settings,
    SettingsError,
    load_settings,
)

ADMIN_SECRET = "s3cr3t-Admin"  # 12 characters: too short
PUPPET_SECRET = "puppet_TOKEN_not_to_be_shown"


def load(tmp_path: Path, environ: dict[str, str], dotenv: str | None = None) -> Settings:
    env_file = tmp_path / ".env"
    if dotenv is not None:
        env_file.write_text(dotenv, encoding="utf-8")
    return load_settings(env_file=env_file, environ=environ)


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})  # ./.env is absent
    assert settings.data_dir == tmp_path / "var"
    assert settings.database_url == f"sqlite:///{tmp_path / 'var' / 'gridbot.db'}"
    assert settings.timezone == "Asia/Shanghai"
    assert settings.briefing_time == time(8, 30)
    assert settings.escalation_interval_hours == 24.0
    assert settings.sweep_seconds == 15
    assert (settings.web_host, settings.web_port) == ("127.0.0.1", 8080)
    assert settings.admin_token == ""
    assert settings.categories_file == DEFAULT_CATEGORIES
    assert settings.demo_roster == DEMO_ROSTER
    assert (settings.puppet_endpoint, settings.puppet_token) == ("", "")
    assert settings.wechat_enabled is False
    assert settings.send_budget_per_minute == 20
    assert settings.room_min_interval_seconds == 1.0
    assert settings.evidence_window_minutes == 10.0


def test_values_have_the_declared_types(tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        {
            "GRIDBOT_DATA_DIR": str(tmp_path / "data"),
            "GRIDBOT_TIMEZONE": "Europe/Berlin",
            "GRIDBOT_BRIEFING_TIME": "7:05",
            "GRIDBOT_ESCALATION_INTERVAL_HOURS": "0.5",
            "GRIDBOT_SWEEP_SECONDS": "1",
            "GRIDBOT_WEB_HOST": "0.0.0.0",
            "GRIDBOT_WEB_PORT": "65535",
            "GRIDBOT_ADMIN_TOKEN": "x" * 16,
            "GRIDBOT_CATEGORIES_FILE": str(DEFAULT_CATEGORIES),
            "GRIDBOT_DEMO_ROSTER": str(tmp_path / "roster.csv"),
            "WECHATY_PUPPET_SERVICE_ENDPOINT": "10.0.0.5:8788",
            "WECHATY_PUPPET_SERVICE_TOKEN": PUPPET_SECRET,
            "GRIDBOT_SEND_BUDGET_PER_MINUTE": "1",
            "GRIDBOT_ROOM_MIN_INTERVAL_SECONDS": "0",
            "GRIDBOT_EVIDENCE_WINDOW_MINUTES": "2.5",
        },
    )
    assert settings.data_dir == tmp_path / "data"
    assert settings.database_url == f"sqlite:///{tmp_path / 'data' / 'gridbot.db'}"
    assert settings.timezone == "Europe/Berlin"
    assert settings.briefing_time == time(7, 5)
    assert settings.escalation_interval_hours == 0.5
    assert settings.sweep_seconds == 1 and isinstance(settings.sweep_seconds, int)
    assert settings.web_host == "0.0.0.0"
    assert settings.web_port == 65535 and isinstance(settings.web_port, int)
    assert settings.admin_token == "x" * 16
    assert settings.categories_file == DEFAULT_CATEGORIES
    assert settings.demo_roster == tmp_path / "roster.csv"
    assert settings.puppet_endpoint == "10.0.0.5:8788"
    assert settings.puppet_token == PUPPET_SECRET
    assert settings.wechat_enabled is True
    assert settings.send_budget_per_minute == 1
    assert settings.room_min_interval_seconds == 0.0
    assert settings.evidence_window_minutes == 2.5
    assert PUPPET_SECRET not in repr(settings)


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = load(tmp_path, {})
    with pytest.raises(ValueError):
        settings.web_port = 1  # type: ignore[misc]
    assert settings.web_port == 8080


def test_dotenv_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        {"GRIDBOT_WEB_PORT": "9001", "GRIDBOT_DATABASE_URL": "sqlite://"},
        dotenv=(
            "# comment\n"
            "GRIDBOT_WEB_PORT=9000\n"
            "GRIDBOT_WEB_HOST=0.0.0.0\n"
            'GRIDBOT_TIMEZONE="Asia/Tokyo"\n'
            "GRIDBOT_DATABASE_URL=postgresql+psycopg2://g@localhost/g\n"
            "SOMETHING_ELSE=ignored\n"
        ),
    )
    assert settings.web_port == 9001
    assert settings.database_url == "sqlite://"
    assert settings.web_host == "0.0.0.0"
    assert settings.timezone == "Asia/Tokyo"


def test_given_environ_replaces_os_environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDBOT_WEB_PORT", "9999")
    monkeypatch.setenv("GRIDBOT_TIMEZONE", "Not/AZone")
    assert load(tmp_path, {}).web_port == 8080
    monkeypatch.setenv("GRIDBOT_TIMEZONE", "UTC")
    assert load_settings(env_file=tmp_path / "absent.env").web_port == 9999
    assert os.environ["GRIDBOT_WEB_PORT"] == "9999"


def test_dotenv_defaults_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("GRIDBOT_SWEEP_SECONDS=3\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert load_settings(environ={}).sweep_seconds == 3


def test_blank_means_default(tmp_path: Path) -> None:
    keys = [
        "GRIDBOT_DATABASE_URL",
        "GRIDBOT_DATA_DIR",
        "GRIDBOT_TIMEZONE",
        "GRIDBOT_BRIEFING_TIME",
        "GRIDBOT_ESCALATION_INTERVAL_HOURS",
        "GRIDBOT_SWEEP_SECONDS",
        "GRIDBOT_WEB_HOST",
        "GRIDBOT_WEB_PORT",
        "GRIDBOT_ADMIN_TOKEN",
        "GRIDBOT_CATEGORIES_FILE",
        "GRIDBOT_DEMO_ROSTER",
        "WECHATY_PUPPET_SERVICE_ENDPOINT",
        "WECHATY_PUPPET_SERVICE_TOKEN",
        "GRIDBOT_SEND_BUDGET_PER_MINUTE",
        "GRIDBOT_ROOM_MIN_INTERVAL_SECONDS",
        "GRIDBOT_EVIDENCE_WINDOW_MINUTES",
    ]
    dotenv = "".join(f"{key}=\n" for key in keys)  # as in .env.example
    from_dotenv = load(tmp_path, {}, dotenv=dotenv)
    from_environ = load(tmp_path, {key: "  " for key in keys})
    defaults = load(tmp_path, {}, dotenv="")
    assert from_dotenv == defaults
    assert from_environ == defaults


def test_blank_in_the_environment_hides_the_dotenv_value(tmp_path: Path) -> None:
    settings = load(tmp_path, {"GRIDBOT_WEB_PORT": ""}, dotenv="GRIDBOT_WEB_PORT=9000\n")
    assert settings.web_port == 8080


@pytest.mark.parametrize("raw", ["off", "OFF", "none", "0", " Off "])
def test_demo_roster_can_be_turned_off(tmp_path: Path, raw: str) -> None:
    assert load(tmp_path, {"GRIDBOT_DEMO_ROSTER": raw}).demo_roster is None


def test_values_are_stripped(tmp_path: Path) -> None:
    settings = load(tmp_path, {"GRIDBOT_WEB_HOST": " ::1 ", "GRIDBOT_WEB_PORT": " 81 "})
    assert (settings.web_host, settings.web_port) == ("::1", 81)


@pytest.mark.parametrize(
    ("key", "raw"),
    [
        ("GRIDBOT_WEB_PORT", "80.7"),
        ("GRIDBOT_WEB_PORT", "http"),
        ("GRIDBOT_WEB_PORT", "0"),
        ("GRIDBOT_WEB_PORT", "65536"),
        ("GRIDBOT_SEND_BUDGET_PER_MINUTE", "0"),
        ("GRIDBOT_SEND_BUDGET_PER_MINUTE", "2.5"),
        ("GRIDBOT_SWEEP_SECONDS", "0"),
        ("GRIDBOT_SWEEP_SECONDS", "-5"),
        ("GRIDBOT_SWEEP_SECONDS", "fast"),
        ("GRIDBOT_ROOM_MIN_INTERVAL_SECONDS", "-0.1"),
        ("GRIDBOT_ROOM_MIN_INTERVAL_SECONDS", "one"),
        ("GRIDBOT_ESCALATION_INTERVAL_HOURS", "0"),
        ("GRIDBOT_ESCALATION_INTERVAL_HOURS", "-1"),
        ("GRIDBOT_ESCALATION_INTERVAL_HOURS", "inf"),
        ("GRIDBOT_EVIDENCE_WINDOW_MINUTES", "0"),
        ("GRIDBOT_EVIDENCE_WINDOW_MINUTES", "nan"),
        ("GRIDBOT_BRIEFING_TIME", "24:00"),
        ("GRIDBOT_BRIEFING_TIME", "08:60"),
        ("GRIDBOT_BRIEFING_TIME", "0830"),
        ("GRIDBOT_BRIEFING_TIME", "08:30:00"),
        ("GRIDBOT_BRIEFING_TIME", "morning"),
        ("GRIDBOT_TIMEZONE", "Mars/Olympus_Mons"),
        ("GRIDBOT_TIMEZONE", "Beijing"),
        ("GRIDBOT_TIMEZONE", "../../etc/passwd"),
        ("GRIDBOT_DATABASE_URL", "gridbot.db"),
        ("GRIDBOT_DATABASE_URL", "mysql://u@h/db"),
        ("GRIDBOT_DATABASE_URL", "postgres://u@h/db"),
        ("GRIDBOT_CATEGORIES_FILE", "no-such-categories.toml"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_key(tmp_path: Path, key: str, raw: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load(tmp_path, {key: raw})
    message = str(caught.value)
    assert message.startswith(f"{key}={raw!r}: ")
    assert "\n" not in message


def test_the_example_message(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load(tmp_path, {"GRIDBOT_WEB_PORT": "80.7"})
    assert str(caught.value) == (
        "GRIDBOT_WEB_PORT='80.7': must be a whole number between 1 and 65535"
    )


def test_a_bad_value_in_dotenv_is_reported_too(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"^GRIDBOT_SWEEP_SECONDS='0': "):
        load(tmp_path, {}, dotenv="GRIDBOT_SWEEP_SECONDS=0\n")


def test_every_bad_value_is_named_on_the_one_line(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load(tmp_path, {"GRIDBOT_WEB_PORT": "x", "GRIDBOT_TIMEZONE": "Nowhere"})
    message = str(caught.value)
    assert "GRIDBOT_WEB_PORT='x'" in message and "GRIDBOT_TIMEZONE='Nowhere'" in message
    assert "\n" not in message


def test_settings_error_is_a_value_error() -> None:
    assert issubclass(SettingsError, ValueError)


def test_a_short_admin_token_is_refused_without_showing_it(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load(tmp_path, {"GRIDBOT_ADMIN_TOKEN": ADMIN_SECRET})
    assert str(caught.value) == "GRIDBOT_ADMIN_TOKEN is too short (12 characters, at least 16)"
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_tokens_never_appear_in_the_message(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load(
            tmp_path,
            {
                "GRIDBOT_ADMIN_TOKEN": ADMIN_SECRET,
                "WECHATY_PUPPET_SERVICE_ENDPOINT": "10.0.0.5:8788",
                "WECHATY_PUPPET_SERVICE_TOKEN": PUPPET_SECRET,
                "GRIDBOT_WEB_PORT": "x",
            },
        )
    message = str(caught.value)
    assert "GRIDBOT_ADMIN_TOKEN" in message and "GRIDBOT_WEB_PORT" in message
    assert ADMIN_SECRET not in message and PUPPET_SECRET not in message


def test_a_long_enough_admin_token_is_kept(tmp_path: Path) -> None:
    token = "0123456789abcdef"
    assert load(tmp_path, {"GRIDBOT_ADMIN_TOKEN": f" {token} "}).admin_token == token


def test_a_database_password_is_masked(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load(tmp_path, {"GRIDBOT_DATABASE_URL": "postgres://gridbot:hunter2@db/gridbot"})
    message = str(caught.value)
    assert message.startswith("GRIDBOT_DATABASE_URL='postgres://gridbot:***@db/gridbot': ")
    assert "hunter2" not in message


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://",
        "sqlite:///relative/gridbot.db",
        "sqlite:////srv/gridbot/gridbot.db",
        "postgresql://gridbot@localhost/gridbot",
        "postgresql+psycopg2://gridbot:secret@127.0.0.1:5432/gridbot",
    ],
)
def test_database_urls_that_are_accepted(tmp_path: Path, url: str) -> None:
    assert load(tmp_path, {"GRIDBOT_DATABASE_URL": url}).database_url == url
