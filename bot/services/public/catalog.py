"""The services residents may report, one per problem category, with stable ASCII codes.

A service code is the pinyin of the category's name, lower case without tones or spaces
(散煤 → ``sanmei``, 工地扬尘 → ``gongdiyangchen``, 其他 → ``qita``): readable, stable while the
category keeps its name, and the same whatever order `config/categories.toml` lists them in.
Two names with the same pinyin get ``2``, ``3`` … in file order; a name with no letters at all
falls back to ``c<position>``. Renaming a category changes its code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import lazy_pinyin

from bot.services.understanding.categories import Category

_NOT_CODE = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Service:
    """One reportable problem category as residents and Open311 clients see it."""

    code: str
    name: str
    keywords: tuple[str, ...]
    category: Category


def _code_of(name: str, position: int) -> str:
    code = _NOT_CODE.sub("", "".join(lazy_pinyin(name)).lower())
    return code[:40] or f"c{position}"


@lru_cache(maxsize=8)
def services_of(categories: tuple[Category, ...]) -> tuple[Service, ...]:
    """Every category as a service, in the file's order."""
    taken: set[str] = set()
    services = []
    for position, category in enumerate(categories, start=1):
        base = code = _code_of(category.name, position)
        suffix = 2
        while code in taken:
            code, suffix = f"{base}{suffix}", suffix + 1
        taken.add(code)
        services.append(Service(code, category.name, category.synonyms, category))
    return tuple(services)


def service_for(categories: tuple[Category, ...], code: str) -> Service | None:
    """The service with this code, or None."""
    return next((s for s in services_of(categories) if s.code == code), None)
