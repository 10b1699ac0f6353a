"""File a resident's report (有奖举报) into the office's queue, and look one up by its code.

The public form and the Open311 API both end in `file_report`: the report waits in triage
until a clerk routes it to a grid (an ordinary ticket then) or rejects it. Its public code
("J" and 8 random base32 letters, 40 bits) is what the reporter looks it up by.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from bot.core.errors import UserError
from bot.core.inputs import clean_text
from bot.services.public import texts
from bot.services.public.catalog import Service, service_for
from bot.services.public.photos import Photo, PhotoRefused, check_photo, save_photo
from bot.services.public.views import TRIAGE, ReportView, select_views
from bot.services.runtime import Runtime
from models.tables import PublicReport

CODE_PREFIX = "J"
# What the schema holds (PublicReport), checked before anything is written.
ADDRESS_LIMIT = 500
DESCRIPTION_LIMIT = 4000
NAME_LIMIT = 100
PHONE_LIMIT = 40
EMAIL_LIMIT = 200
URL_LIMIT = 1000
# A mobile or landline number, with the separators people type.
_PHONE = re.compile(r"\+?[\d\s()-]{7,20}")


class FormRefused(UserError):
    """The form has mistakes: `errors` maps each wrong field to a short Chinese message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(texts.FORM_HAS_ERRORS)
        self.errors = dict(errors)


@dataclass(frozen=True)
class ReportForm:
    """The public form as typed; `photo` is the uploaded bytes (cut at just over the limit)."""

    service_code: str = ""
    address: str = ""
    description: str = ""
    name: str = ""
    phone: str = ""
    photo: bytes | None = None


@dataclass(frozen=True)
class NewReport:
    """A checked report, ready to be filed."""

    service: Service
    address: str
    description: str
    name: str = ""
    phone: str = ""
    email: str = ""
    lat: float | None = None
    long: float | None = None
    photo: Photo | None = None
    media_url: str | None = None
    channel: str = "web"
    api_key_id: int | None = None
    ip_hash: str = field(default="", repr=False)


@dataclass(frozen=True)
class Filed:
    """A report now in the queue."""

    id: int
    code: str


def hash_address(address: str, secret: bytes) -> str:
    """The digest stored and counted instead of the client's address: an HMAC under the
    deployment's secret, so the 2^32 IPv4 addresses cannot simply be tried against it."""
    return hmac.new(secret, address.encode("utf-8"), hashlib.sha256).hexdigest()


def is_phone(text: str) -> bool:
    return bool(_PHONE.fullmatch(text)) and sum(c.isdigit() for c in text) >= 7


def check_form(runtime: Runtime, form: ReportForm) -> NewReport:
    """The form's report, or FormRefused naming every field that is wrong."""
    errors: dict[str, str] = {}
    service = service_for(runtime.policy.categories, form.service_code.strip())
    if service is None:
        errors[texts.FIELD_CATEGORY] = texts.CATEGORY_UNKNOWN
    address, description = clean_text(form.address).strip(), clean_text(form.description).strip()
    name, phone = clean_text(form.name).strip(), clean_text(form.phone).strip()
    if not address:
        errors[texts.FIELD_ADDRESS] = texts.ADDRESS_MISSING
    elif len(address) > ADDRESS_LIMIT:
        errors[texts.FIELD_ADDRESS] = texts.ADDRESS_TOO_LONG.format(limit=ADDRESS_LIMIT)
    if not description:
        errors[texts.FIELD_DESCRIPTION] = texts.DESCRIPTION_MISSING
    elif len(description) > DESCRIPTION_LIMIT:
        errors[texts.FIELD_DESCRIPTION] = texts.DESCRIPTION_TOO_LONG.format(limit=DESCRIPTION_LIMIT)
    if len(name) > NAME_LIMIT:
        errors[texts.FIELD_NAME] = texts.NAME_TOO_LONG.format(limit=NAME_LIMIT)
    if phone and not is_phone(phone):
        errors[texts.FIELD_PHONE] = texts.PHONE_BAD
    photo = None
    if form.photo:
        try:
            photo = check_photo(form.photo)
        except PhotoRefused as refused:
            errors[texts.FIELD_PHOTO] = refused.text
    if errors or service is None:
        raise FormRefused(errors)
    return NewReport(service, address, description, name=name, phone=phone, photo=photo)


def _new_code(session: Session) -> str:
    while True:
        code = CODE_PREFIX + base64.b32encode(secrets.token_bytes(5)).decode("ascii")
        if session.exec(select(PublicReport.id).where(PublicReport.code == code)).first() is None:
            return code


def file_report(session: Session, runtime: Runtime, report: NewReport) -> Filed:
    """Put the report in the office's queue (its photo saved first, by its digest)."""
    now = runtime.clock.now()
    photo_path = report.media_url
    if report.photo is not None:
        photo_path = str(save_photo(runtime.policy.data_dir, report.photo))
    row = PublicReport(
        code=_new_code(session),
        service_code=report.service.code,
        description=report.description,
        address=report.address,
        lat=report.lat,
        long=report.long,
        name=report.name,
        phone=report.phone,
        email=report.email,
        photo_path=photo_path,
        channel=report.channel,
        api_key_id=report.api_key_id,
        status=TRIAGE,
        created_at=now,
        updated_at=now,
        ip_hash=report.ip_hash,
    )
    session.add(row)
    session.flush()
    return Filed(row.id or 0, row.code)


def lookup(session: Session, runtime: Runtime, code: str) -> ReportView | None:
    """The report with this public code, as the reporter may see it; None if unknown."""
    wanted = code.strip().upper()
    if not wanted.startswith(CODE_PREFIX) or len(wanted) > 32:
        return None
    found = select_views(session, runtime, [col(PublicReport.code) == wanted], limit=1)
    return found[0] if found else None
