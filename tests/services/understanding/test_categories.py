"""The categories data file: what the bot reads at start-up, and how a bad file is refused."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.services.understanding.categories import (
    Category,
    CategoryFileError,
    index_for,
    load_categories,
)
from config.settings import DEFAULT_CATEGORIES


def test_the_shipped_categories_load() -> None:
    categories = load_categories(DEFAULT_CATEGORIES)
    assert categories[0].name == "散煤" and categories[0].deadline == timedelta(hours=48)
    assert "煤炉" in categories[0].synonyms


def test_a_deadline_defaults_to_72_hours(tmp_path: Path) -> None:
    path = tmp_path / "cats.toml"
    path.write_text('[[category]]\nname = "噪声"\nsynonyms = ["吵"]\n', encoding="utf-8")
    assert load_categories(path) == (Category("噪声", ("吵",), timedelta(hours=72)),)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "no categories defined"),
        ('[[category]]\nsynonyms = ["x"]\n', "category #1 is malformed"),
        ("[[category]\n", "cannot read the categories"),
    ],
)
def test_a_bad_categories_file_is_refused(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "cats.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CategoryFileError, match=expected):
        load_categories(path)


class _Counted(tuple):
    """A tuple that counts how often it is hashed (what a cache look-up costs)."""

    hashed = 0

    def __hash__(self) -> int:
        type(self).hashed += 1
        return super().__hash__()


def test_the_categories_index_is_found_by_identity_at_each_message() -> None:
    categories = load_categories(DEFAULT_CATEGORIES)
    first = index_for(tuple(categories))
    again = _Counted(categories)  # equal to the first tuple, another object
    assert index_for(again) is first
    hashed = _Counted.hashed
    for _ in range(3):
        assert index_for(again) is first
    assert _Counted.hashed == hashed  # known by identity: not hashed again
