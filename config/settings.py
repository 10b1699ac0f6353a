"""Settings, read once at start-up from the environment and `.env` (pydantic-settings).

Every key is optional, and a blank value means "use the default". A value that cannot be
used stops start-up with a `SettingsError` whose message is one line naming the key, e.g.
``GRIDBOT_WEB_PORT='80.7': must be a whole number between 1 and 65535``. Secrets (the admin
and puppet tokens, a database password) are never repeated in such a message.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails, PydanticCustomError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

CONFIG_DIR = Path(__file__).resolve().parent
DEFAULT_CATEGORIES = CONFIG_DIR / "categories.toml"
DEFAULT_SCHEDULE = CONFIG_DIR / "schedule.toml"
DEFAULT_SCORECARD = CONFIG_DIR / "scorecard.toml"
DEMO_ROSTER = CONFIG_DIR / "demo_roster.csv"

ADMIN_TOKEN_MIN_LENGTH = 16
_DEMO_OFF = frozenset({"off", "none", "0"})
_HH_MM = re.compile(r"(\d{1,2}):(\d{2})")
_DATABASE_URL = re.compile(r"sqlite(\+\w+)?://(/.*)?|postgresql(\+\w+)?://\S+", re.DOTALL)
_URL_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")
_CUSTOM = "gridbot_setting"  # error type whose message is already the phrase to show


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the key."""


class Settings(BaseSettings):
    """What the bot is configured with. Immutable; build it with `load_settings`.

    `Settings(...)` on its own reads only its keyword arguments (field names or environment
    keys) and, if given, `_env_file`: `load_settings` is what adds the process environment.
    """

    model_config = SettingsConfigDict(
        frozen=True,
        case_sensitive=True,
        env_file=None,
        extra="ignore",
        populate_by_name=True,
        hide_input_in_errors=True,
    )

    # Each field reads the environment key named by its alias; errors are reported under it.
    # No default here: derived from each other (and the working directory) when blank.
    database_url: str = Field(validation_alias="GRIDBOT_DATABASE_URL")
    data_dir: Path = Field(validation_alias="GRIDBOT_DATA_DIR")
    timezone: str = Field("Asia/Shanghai", validation_alias="GRIDBOT_TIMEZONE")
    briefing_time: time = Field(time(8, 30), validation_alias="GRIDBOT_BRIEFING_TIME")
    escalation_interval_hours: float = Field(
        24.0, gt=0, allow_inf_nan=False, validation_alias="GRIDBOT_ESCALATION_INTERVAL_HOURS"
    )
    sweep_seconds: int = Field(15, ge=1, validation_alias="GRIDBOT_SWEEP_SECONDS")
    web_host: str = Field("127.0.0.1", validation_alias="GRIDBOT_WEB_HOST")
    web_port: int = Field(8080, ge=1, le=65535, validation_alias="GRIDBOT_WEB_PORT")
    admin_token: str = Field("", repr=False, validation_alias="GRIDBOT_ADMIN_TOKEN")
    # Reverse proxies (their addresses, comma-separated) whose X-Forwarded-For and
    # X-Forwarded-Proto are believed: the client's address for rate limits, HTTPS for cookies.
    trusted_proxies: str = Field("", validation_alias="GRIDBOT_TRUSTED_PROXIES")
    # Signs the console's session cookies; empty: a random one kept in the data directory.
    session_secret: str = Field("", repr=False, validation_alias="GRIDBOT_SESSION_SECRET")
    categories_file: Path = Field(DEFAULT_CATEGORIES, validation_alias="GRIDBOT_CATEGORIES_FILE")
    schedule_file: Path = Field(DEFAULT_SCHEDULE, validation_alias="GRIDBOT_SCHEDULE_FILE")
    scorecard_file: Path = Field(DEFAULT_SCORECARD, validation_alias="GRIDBOT_SCORECARD_FILE")
    demo_roster: Path | None = Field(DEMO_ROSTER, validation_alias="GRIDBOT_DEMO_ROSTER")
    puppet_endpoint: str = Field("", validation_alias="WECHATY_PUPPET_SERVICE_ENDPOINT")
    puppet_token: str = Field("", repr=False, validation_alias="WECHATY_PUPPET_SERVICE_TOKEN")
    send_budget_per_minute: int = Field(20, ge=1, validation_alias="GRIDBOT_SEND_BUDGET_PER_MINUTE")
    room_min_interval_seconds: float = Field(
        1.0, ge=0, allow_inf_nan=False, validation_alias="GRIDBOT_ROOM_MIN_INTERVAL_SECONDS"
    )
    evidence_window_minutes: float = Field(
        10.0, gt=0, allow_inf_nan=False, validation_alias="GRIDBOT_EVIDENCE_WINDOW_MINUTES"
    )
    max_extensions: int = Field(1, ge=0, le=10, validation_alias="GRIDBOT_MAX_EXTENSIONS")
    supervision_factor: float = Field(
        0.5, gt=0, le=1, allow_inf_nan=False, validation_alias="GRIDBOT_SUPERVISION_FACTOR"
    )
    duplicate_window_hours: float = Field(
        24.0, ge=0, allow_inf_nan=False, validation_alias="GRIDBOT_DUPLICATE_WINDOW_HOURS"
    )

    @property
    def wechat_enabled(self) -> bool:
        return bool(self.puppet_endpoint)

    @property
    def trusted_proxy_set(self) -> frozenset[str]:
        return frozenset(p.strip() for p in self.trusted_proxies.split(",") if p.strip())

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment comes in as keyword arguments from `load_settings`, so that a caller
        # (a test) can replace os.environ entirely; keyword arguments win over `.env`.
        return init_settings, dotenv_settings

    @model_validator(mode="before")
    @classmethod
    def _blank_means_default(cls, data: Any) -> Any:
        """Strip values, drop blank ones, fill in the defaults derived from other settings."""
        if not isinstance(data, Mapping):
            return data
        values: dict[str, Any] = {}
        for name, field in cls.model_fields.items():
            key = str(field.validation_alias)
            raw = data[key] if key in data else data.get(name)
            if isinstance(raw, str):
                raw = raw.strip()
            if raw is None or raw == "":
                continue
            values[key] = raw
        data_dir = values.setdefault("GRIDBOT_DATA_DIR", Path.cwd() / "var")
        values.setdefault("GRIDBOT_DATABASE_URL", f"sqlite:///{Path(data_dir) / 'gridbot.db'}")
        return values

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not _DATABASE_URL.fullmatch(value):
            raise ValueError("not a SQLAlchemy URL")
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
            raise ValueError("unknown time zone") from exc
        return value

    @field_validator("briefing_time", mode="before")
    @classmethod
    def _parse_briefing_time(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        match = _HH_MM.fullmatch(value)
        if match is None:
            raise ValueError("not HH:MM")
        return time(int(match[1]), int(match[2]))  # ValueError past 23:59

    @field_validator("admin_token")
    @classmethod
    def _check_admin_token(cls, value: str) -> str:
        if value and len(value) < ADMIN_TOKEN_MIN_LENGTH:
            raise PydanticCustomError(
                _CUSTOM,
                "is too short ({length} characters, at least {minimum})",
                {"length": len(value), "minimum": ADMIN_TOKEN_MIN_LENGTH},
            )
        return value

    @field_validator("categories_file")
    @classmethod
    def _check_categories_file(cls, value: Path) -> Path:
        if not value.is_file():
            raise ValueError("no such file")
        return value

    @field_validator("demo_roster", mode="before")
    @classmethod
    def _demo_roster_off(cls, value: Any) -> Any:
        return None if isinstance(value, str) and value.lower() in _DEMO_OFF else value


# What to tell the operator when a key's value is refused (unless the check said it itself).
_RULES = {
    "GRIDBOT_DATABASE_URL": (
        "must be a SQLAlchemy URL: sqlite:///path/to/file.db or "
        "postgresql+psycopg2://user:password@host/db"
    ),
    "GRIDBOT_DATA_DIR": "must be a directory path",
    "GRIDBOT_TIMEZONE": "must be a known IANA time zone, e.g. Asia/Shanghai",
    "GRIDBOT_BRIEFING_TIME": "must be a time of day HH:MM between 00:00 and 23:59",
    "GRIDBOT_ESCALATION_INTERVAL_HOURS": "must be a number of hours greater than 0",
    "GRIDBOT_SWEEP_SECONDS": "must be a whole number of seconds, at least 1",
    "GRIDBOT_WEB_PORT": "must be a whole number between 1 and 65535",
    "GRIDBOT_CATEGORIES_FILE": "no such file",
    "GRIDBOT_SEND_BUDGET_PER_MINUTE": "must be a whole number, at least 1",
    "GRIDBOT_ROOM_MIN_INTERVAL_SECONDS": "must be a number of seconds, 0 or more",
    "GRIDBOT_EVIDENCE_WINDOW_MINUTES": "must be a number of minutes greater than 0",
}
_SECRET_KEYS = frozenset(
    {"GRIDBOT_ADMIN_TOKEN", "GRIDBOT_SESSION_SECRET", "WECHATY_PUPPET_SERVICE_TOKEN"}
)
_KEYS = frozenset(str(field.validation_alias) for field in Settings.model_fields.values())


def _describe(error: ErrorDetails) -> str:
    """One error as `KEY='value': what it must be`, never showing a secret."""
    key = str(error["loc"][0]) if error["loc"] else "settings"
    message = error["msg"] if error["type"] == _CUSTOM else _RULES.get(key, error["msg"])
    if key in _SECRET_KEYS:
        return f"{key} {message}"
    raw = error.get("input")
    if not isinstance(raw, str | Path):
        return f"{key}: {message}"
    shown = _URL_PASSWORD.sub(r"\1***@", str(raw))
    return f"{key}={shown!r}: {message}"


def load_settings(env_file: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Read `.env` (if present) under the process environment; the environment wins.

    `env_file` defaults to ./.env; `environ`, when given, replaces os.environ entirely.
    """
    dotenv_path = env_file if env_file is not None else Path.cwd() / ".env"
    source = os.environ if environ is None else environ
    # Keyword arguments, so the environment wins over `.env`; unrelated variables stay out.
    arguments: dict[str, Any] = {key: value for key, value in source.items() if key in _KEYS}
    arguments["_env_file"] = dotenv_path
    try:
        return Settings(**arguments)
    except ValidationError as exc:
        raise SettingsError("; ".join(_describe(error) for error in exc.errors())) from None
