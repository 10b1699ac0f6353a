"""Filing a resident's report: what is checked, what is stored, what the reporter sees."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlmodel import select

from bot.services.public import reports
from bot.services.public.photos import MAX_PHOTO_BYTES
from bot.services.public.reports import FormRefused, ReportForm
from models.tables import PublicReport
from tests.harness import Harness
from tests.services.public.conftest import JPEG, PNG, file


def _form(**fields: object) -> ReportForm:
    values: dict[str, object] = {
        "service_code": "sanmei",
        "address": "一村东头",
        "description": "烧煤冒烟",
    }
    return ReportForm(**{**values, **fields})  # type: ignore[arg-type]


def _errors(bot: Harness, form: ReportForm) -> dict[str, str]:
    with pytest.raises(FormRefused) as refused:
        reports.check_form(bot.runtime, form)
    return refused.value.errors


def test_place_and_description_are_required_and_named(bot: Harness) -> None:
    errors = _errors(bot, _form(address="  ", description=""))
    assert errors == {
        "address": "请填写地点，例如：东关街12号对面。",
        "description": "请简单描述看到的问题。",
    }


def test_an_unknown_category_a_bad_phone_and_long_fields_are_refused(bot: Harness) -> None:
    errors = _errors(bot, _form(service_code="x", phone="abc", address="地" * 501))
    assert set(errors) == {"category", "phone", "address"}
    assert "500" in errors["address"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a" + b"\x00" * 20, "只能是 JPG 或 PNG"),
        (b"<svg onload=alert(1)>", "只能是 JPG 或 PNG"),
        (b"\xff\xd8\xff" + b"\x00" * MAX_PHOTO_BYTES, "不能超过5MB"),
    ],
)
def test_a_photo_must_be_a_jpeg_or_png_of_at_most_5_mb(
    bot: Harness, data: bytes, message: str
) -> None:
    assert message in _errors(bot, _form(photo=data))["photo"]


def test_a_good_photo_is_saved_under_public_by_its_digest(bot: Harness) -> None:
    new = reports.check_form(bot.runtime, _form(photo=PNG, phone="139 0000 1111"))
    with bot.runtime.transaction() as session:
        filed = reports.file_report(session, bot.runtime, new)
        row = session.exec(select(PublicReport)).one()
    path = Path(row.photo_path or "")
    assert path == bot.runtime.policy.data_dir / "public" / f"{hashlib.sha256(PNG).hexdigest()}.png"
    assert path.read_bytes() == PNG
    assert (row.code, row.status, row.channel, row.phone) == (
        filed.code,
        "triage",
        "web",
        "139 0000 1111",
    )


def test_codes_are_unguessable_and_looked_up_case_insensitively(bot: Harness) -> None:
    codes = {file(bot).code for _ in range(20)}
    assert len(codes) == 20
    assert all(c.startswith("J") and len(c) == 9 and c[1:].isalnum() for c in codes)
    code = codes.pop()
    with bot.runtime.transaction() as session:
        view = reports.lookup(session, bot.runtime, code.lower())
        assert reports.lookup(session, bot.runtime, "JAAAAAAAA") is None
        assert reports.lookup(session, bot.runtime, "112201") is None
    assert view is not None
    assert (view.code, view.state, view.is_open) == (code, "待分派", True)
    assert view.agency == "测试区网格化环境监管平台"


def test_the_view_never_carries_the_reporters_contact(bot: Harness) -> None:
    filed = file(bot, photo=JPEG)
    with bot.runtime.transaction() as session:
        view = reports.lookup(session, bot.runtime, filed.code)
    shown = repr(view)
    assert "13900001111" not in shown and "李女士" not in shown
    assert view is not None and view.media_url is None  # an uploaded photo stays with the office
