"""Problem categories (问题类型): the data file's entries, read once at start-up."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

DEFAULT_DEADLINE_HOURS = 72.0


class CategoryFileError(ValueError):
    """The categories file cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Category:
    """A problem category from configuration, with the words patrollers use for it."""

    name: str
    synonyms: tuple[str, ...]
    deadline: timedelta


def load_categories(path: Path) -> tuple[Category, ...]:
    """Read the categories TOML (``[[category]]`` with name, synonyms, deadline_hours)."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CategoryFileError(f"{path}: cannot read the categories: {exc}") from exc
    categories: list[Category] = []
    for index, raw in enumerate(data.get("category", []), start=1):
        try:
            hours = float(raw.get("deadline_hours", DEFAULT_DEADLINE_HOURS))
            categories.append(
                Category(
                    name=str(raw["name"]),
                    synonyms=tuple(str(s) for s in raw.get("synonyms", [])),
                    deadline=timedelta(hours=hours),
                )
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CategoryFileError(f"{path}: category #{index} is malformed: {exc}") from exc
    if not categories:
        raise CategoryFileError(f"{path}: no categories defined")
    return tuple(categories)
