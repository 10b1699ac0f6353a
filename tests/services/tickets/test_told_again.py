"""Two places told in passing a few minutes apart: one problem, or two."""

from __future__ import annotations

import pytest

from bot.services.tickets.duplicates import told_again


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("东关街17号院", "17号院东头那户"),
        ("东关社区锅炉房", "锅炉房那边"),
        ("东关社区锅炉房", "东关社区锅炉房"),
        ("东关街17号院", None),  # the second names no place: the same problem told again
    ],
)
def test_the_same_problem_told_again(first: str, second: str | None) -> None:
    assert told_again(first, second)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("东关社区锅炉房", "3号楼锅炉房"),
        ("李家营村口", "张家营村口"),  # the names differ where they begin
        ("北街饭店", "南街饭店"),  # sides
        ("东关街17号院", "西关街17号"),
        ("东关社区三号楼锅炉房", "五号楼锅炉房"),
    ],
)
def test_another_place_is_another_problem(first: str, second: str) -> None:
    assert not told_again(first, second)
