"""Service codes: the pinyin of each category's name, unique and ASCII."""

from __future__ import annotations

from datetime import timedelta

from bot.services.public.catalog import service_for, services_of
from bot.services.understanding.categories import Category
from tests.harness import Harness


def test_every_configured_category_has_a_unique_ascii_code(bot: Harness) -> None:
    services = services_of(bot.runtime.policy.categories)
    codes = [s.code for s in services]
    assert len(set(codes)) == len(codes) == len(bot.runtime.policy.categories)
    assert all(c.isascii() and c.isalnum() and c.islower() for c in codes)
    assert codes[:2] == ["sanmei", "ranmeiguolu"]
    found = service_for(bot.runtime.policy.categories, "gongdiyangchen")
    assert found is not None and found.name == "工地扬尘"


def test_codes_do_not_depend_on_the_order_and_twins_get_a_number() -> None:
    def category(name: str) -> Category:
        return Category(name, (), timedelta(hours=1))

    one = services_of((category("散煤"), category("其他")))
    other = services_of((category("其他"), category("散煤"), category("伞煤"), category("ABC!")))
    assert {s.name: s.code for s in one}.items() <= {s.name: s.code for s in other}.items()
    assert [s.code for s in other] == ["qita", "sanmei", "sanmei2", "abc"]
