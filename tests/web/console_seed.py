"""Data for the console's tests: office accounts, tickets reported through the dispatcher,
a photo on file. Everything goes through the product's own services on the app's database."""

from __future__ import annotations

import asyncio
import io
import uuid
from pathlib import Path

from aiohttp import web
from PIL import Image
from sqlmodel import select

from bot.services.office import accounts
from bot.web import keys
from handlers.dispatcher import Dispatcher
from models.tables import Evidence, Person, Ticket
from tests.harness import inbound_from
from tests.web.conftest import DONGGUAN_ROOM

PASSWORD = "office-pass-2026"


def make_account(
    app: web.Application, username: str, role: str = "管理员", grid: str | None = None
) -> None:
    runtime = app[keys.RUNTIME]
    with runtime.transaction() as session:
        accounts.create(
            session,
            runtime.clock.now(),
            username=username,
            display_name=f"{username}科员",
            password=PASSWORD,
            role=role,
            grid_code=grid,
        )


def say(app: web.Application, who: str, text: str, room: str = DONGGUAN_ROOM) -> None:
    runtime = app[keys.RUNTIME]
    Dispatcher(runtime).handle(inbound_from(runtime, room, who, text))


def report(app: web.Application, place: str, description: str = "工地未覆盖，扬尘很大") -> str:
    say(app, "张伟", f"【问题上报】\n类型：工地扬尘\n地点：{place}\n描述：{description}")
    runtime = app[keys.RUNTIME]
    with runtime.transaction() as session:
        return session.exec(select(Ticket.code).order_by(Ticket.id.desc())).first() or ""  # type: ignore[union-attr]


def photo_on(app: web.Application, code: str, folder: Path) -> None:
    """A real PNG on file as the ticket's 现场 photo."""
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 120, 40)).save(buffer, "PNG")
    path = folder / f"{uuid.uuid4().hex}.png"
    path.write_bytes(buffer.getvalue())
    runtime = app[keys.RUNTIME]
    with runtime.transaction() as session:
        ticket = session.exec(select(Ticket).where(Ticket.code == code)).one()
        person = session.exec(select(Person).where(Person.name == "张伟")).one()
        session.add(
            Evidence(
                ticket_id=ticket.id or 0,
                person_id=person.id,
                message_id=uuid.uuid4().hex,
                kind="image",
                status="saved",
                file_name=path.name,
                size=path.stat().st_size,
                path=str(path),
                at=runtime.clock.now(),
            )
        )


async def in_thread(work: object, *args: object) -> object:
    return await asyncio.to_thread(work, *args)  # type: ignore[arg-type]
