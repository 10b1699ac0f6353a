"""Who and which rooms a session knows: payload caches and name-to-id resolution.

Everything is cached for one session only; a reconnect starts from scratch, so a renamed
contact or a room the bot joined while disconnected is picked up then at the latest.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from typing import Any, TypeVar

from bot.core.ports import DeliveryError

T = TypeVar("T")

# Parallel payload requests when listing everything; real accounts have thousands of contacts.
_PARALLEL = 16


class ContactBook:
    def __init__(self, puppet: Any) -> None:
        self._puppet = puppet
        self._contacts: dict[str, Any] = {}
        self._topics: dict[str, str] = {}  # room id -> topic
        self._aliases: dict[tuple[str, str], str | None] = {}
        self._rooms_listed = False

    async def contact(self, contact_id: str) -> Any:
        """The contact's payload (name, alias, weixin ...), fetched once per session."""
        payload = self._contacts.get(contact_id)
        if payload is None:
            payload = await self._puppet.contact_payload(contact_id)
            self._contacts[contact_id] = payload
        return payload

    async def name_of(self, contact_id: str) -> str:
        return str((await self.contact(contact_id)).name or "")

    async def room_topic(self, room_id: str) -> str:
        """The room's topic; empty for a group nobody named."""
        if room_id not in self._topics:
            payload = await self._puppet.room_payload(room_id)
            self._topics[room_id] = payload.topic or ""
        return self._topics[room_id]

    async def room_alias(self, room_id: str, contact_id: str) -> str | None:
        """The member's nickname in that room (群昵称), if the puppet reports one."""
        key = (room_id, contact_id)
        if key not in self._aliases:
            try:
                member = await self._puppet.room_member_payload(room_id, contact_id)
                self._aliases[key] = (member.room_alias or None) if member else None
            except Exception:
                self._aliases[key] = None  # an alias is a nicety, never worth losing a message
        return self._aliases[key]

    def topic_changed(self, room_id: str, new_topic: str | None) -> None:
        self._topics[room_id] = new_topic or ""

    async def rooms(self) -> list[tuple[str, str]]:
        """Every room the account is in, as (room id, topic), read fresh from the gateway."""
        ids = await self._puppet.room_list()
        payloads = await _bounded(self._puppet.room_payload(i) for i in ids)
        self._topics = {i: p.topic or "" for i, p in zip(ids, payloads, strict=True)}
        self._rooms_listed = True
        return sorted(self._topics.items(), key=lambda item: item[1])

    async def room_id_for(self, topic: str) -> str:
        """The id of the one room with this topic. DeliveryError (permanent) if none or several."""
        matches = [i for i, t in self._topics.items() if t == topic]
        if len(matches) != 1 or not self._rooms_listed:
            await self.rooms()
            matches = [i for i, t in self._topics.items() if t == topic]
        if not matches:
            raise DeliveryError(f"the bot is in no room named {topic!r}", permanent=True)
        if len(matches) > 1:
            raise DeliveryError(f"{len(matches)} rooms are named {topic!r}", permanent=True)
        return matches[0]

    async def contacts(self) -> list[Any]:
        ids = await self._puppet.contact_list()
        missing = [i for i in ids if i not in self._contacts]
        for contact_id, payload in zip(
            missing, await _bounded(self._puppet.contact_payload(i) for i in missing), strict=True
        ):
            self._contacts[contact_id] = payload
        return [self._contacts[i] for i in ids]

    async def contact_id_for(self, ref: str) -> str | None:
        """Resolve a contact id, weixin id or unique name to a contact id; None if unknown."""
        try:
            payload = await self.contact(ref)
        except Exception:
            payload = None  # not a contact id: try the other ways of naming one
        if payload is not None and payload.id:
            return ref
        self._contacts.pop(ref, None)
        people = await self.contacts()
        for field in ("weixin", "alias", "name"):
            found = {p.id for p in people if getattr(p, field, None) == ref}
            if len(found) == 1:
                return found.pop()
        return None


async def _bounded(calls: Iterable[Awaitable[T]]) -> list[T]:
    gate = asyncio.Semaphore(_PARALLEL)

    async def one(call: Awaitable[T]) -> T:
        async with gate:
            return await call

    return list(await asyncio.gather(*(one(c) for c in calls)))
