"""Settings, read once at start-up from the environment and `.env` (python-dotenv)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from datetime import time
from pathlib import Path

from dotenv import dotenv_values

CONFIG_DIR = Path(__file__).resolve().parent
DEFAULT_CATEGORIES = CONFIG_DIR / "categories.toml"
DEMO_ROSTER = CONFIG_DIR / "demo_roster.csv"


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the key."""


@dataclass(frozen=True)
class CategorySpec:
    name: str
    synonyms: tuple[str, ...]
    deadline_hours: float


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    timezone: str = "Asia/Shanghai"
    briefing_time: time = time(8, 30)
    escalation_interval_hours: float = 24.0
    sweep_seconds: int = 15
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    admin_token: str = ""
    categories_file: Path = DEFAULT_CATEGORIES
    demo_roster: Path | None = DEMO_ROSTER
    puppet_endpoint: str = ""
    puppet_token: str = ""
    send_budget_per_minute: int = 20
    room_min_interval_seconds: float = 1.0
    evidence_window_minutes: float = 10.0

    @property
    def wechat_enabled(self) -> bool:
        return bool(self.puppet_endpoint)


def _float(env: dict[str, str], key: str, default: float) -> float:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise SettingsError(f"{key}={raw!r} is not a number") from exc


def _time(env: dict[str, str], key: str, default: time) -> time:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        hour, minute = raw.split(":")
        return time(int(hour), int(minute))
    except ValueError as exc:
        raise SettingsError(f"{key}={raw!r} is not HH:MM") from exc


def load_settings(env_file: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Read `.env` (if present) under the process environment; the environment wins."""
    env: dict[str, str] = {}
    dotenv_path = env_file if env_file is not None else Path.cwd() / ".env"
    if dotenv_path.exists():
        env.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
    env.update(os.environ if environ is None else environ)
    data_dir = Path(env.get("GRIDBOT_DATA_DIR", "") or Path.cwd() / "var")
    database_url = (
        env.get("GRIDBOT_DATABASE_URL", "").strip() or f"sqlite:///{data_dir / 'gridbot.db'}"
    )
    demo = env.get("GRIDBOT_DEMO_ROSTER", "").strip()
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        timezone=env.get("GRIDBOT_TIMEZONE", "").strip() or "Asia/Shanghai",
        briefing_time=_time(env, "GRIDBOT_BRIEFING_TIME", time(8, 30)),
        escalation_interval_hours=_float(env, "GRIDBOT_ESCALATION_INTERVAL_HOURS", 24.0),
        sweep_seconds=int(_float(env, "GRIDBOT_SWEEP_SECONDS", 15)),
        web_host=env.get("GRIDBOT_WEB_HOST", "").strip() or "127.0.0.1",
        web_port=int(_float(env, "GRIDBOT_WEB_PORT", 8080)),
        admin_token=env.get("GRIDBOT_ADMIN_TOKEN", "").strip(),
        categories_file=Path(env.get("GRIDBOT_CATEGORIES_FILE", "") or DEFAULT_CATEGORIES),
        demo_roster=None if demo.lower() in {"off", "none", "0"} else Path(demo or DEMO_ROSTER),
        puppet_endpoint=env.get("WECHATY_PUPPET_SERVICE_ENDPOINT", "").strip(),
        puppet_token=env.get("WECHATY_PUPPET_SERVICE_TOKEN", "").strip(),
        send_budget_per_minute=int(_float(env, "GRIDBOT_SEND_BUDGET_PER_MINUTE", 20)),
        room_min_interval_seconds=_float(env, "GRIDBOT_ROOM_MIN_INTERVAL_SECONDS", 1.0),
        evidence_window_minutes=_float(env, "GRIDBOT_EVIDENCE_WINDOW_MINUTES", 10.0),
    )


def load_categories(path: Path = DEFAULT_CATEGORIES) -> list[CategorySpec]:
    """Read the category data file; raise SettingsError naming the bad entry."""
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    specs: list[CategorySpec] = []
    for index, raw in enumerate(data.get("category", []), start=1):
        try:
            specs.append(
                CategorySpec(
                    name=str(raw["name"]),
                    synonyms=tuple(str(s) for s in raw.get("synonyms", [])),
                    deadline_hours=float(raw.get("deadline_hours", 72)),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SettingsError(f"{path}: category #{index} is malformed: {exc}") from exc
    if not specs:
        raise SettingsError(f"{path}: no categories defined")
    return specs
