"""What a handler receives: the open transaction, the services and who is asking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import Session

from bot.core.messages import Inbound
from bot.services.runtime import Runtime
from bot.services.tickets.ledger import Origin

if TYPE_CHECKING:
    from handlers.router import Router


@dataclass(frozen=True)
class Context:
    session: Session
    runtime: Runtime
    inbound: Inbound
    origin: Origin
    router: Router
