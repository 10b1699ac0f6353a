"""A bot on the five-level test roster, a clerk of the district office, and a way to file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.services.public import reports
from bot.services.public.catalog import service_for
from bot.services.public.photos import Photo
from bot.services.roster.lookup import Actor
from bot.services.tickets.ledger import Origin
from models.tables import OfficeUser, Person
from tests.harness import Harness

# The smallest files that pass as JPEG and PNG by their first bytes.
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 60
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 60


@pytest.fixture
def bot(engine: Engine, tmp_path: Path) -> Harness:
    harness = Harness.on(engine)
    harness.runtime = replace(
        harness.runtime, policy=replace(harness.runtime.policy, data_dir=tmp_path)
    )
    return harness


@pytest.fixture
def clerk(bot: Harness) -> Actor:
    """An office account's ledger identity: a person with no grid membership."""
    with bot.runtime.transaction() as session:
        person = Person(name="区平台值班员")
        session.add(person)
        session.flush()
        session.add(
            OfficeUser(
                username="duty",
                display_name="值班员",
                password_hash="x",
                role="admin",
                person_id=person.id,
                created_at=bot.clock.now(),
            )
        )
        return Actor(person.id or 0, person.name)


def origin(bot: Harness, actor: Actor) -> Origin:
    return Origin(actor=actor, at=bot.clock.now())


def file(
    bot: Harness,
    *,
    code: str = "sanmei",
    address: str = "一村一片东头废品站",
    description: str = "有人在院子里烧散煤，黑烟很大",
    photo: bytes | None = None,
    phone: str = "13900001111",
) -> reports.Filed:
    """File a report as the public form would."""
    service = service_for(bot.runtime.policy.categories, code)
    assert service is not None
    checked = Photo(photo, ".jpg") if photo else None
    new = reports.NewReport(
        service, address, description, name="李女士", phone=phone, photo=checked
    )
    with bot.runtime.transaction() as session:
        return reports.file_report(session, bot.runtime, new)
