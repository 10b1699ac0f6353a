"""Who is who on a roster: matching the people a file names to the people already stored.

The rule (also in `bot.services.roster.import_roster`'s docstring):
1. A row with a 微信号 is the person holding that 微信号. If nobody holds it yet, a stored person
   without a 微信号, with the same 姓名 (and the same 手机 when both have one), takes it over
   when exactly one such person exists, so filling in a 微信号 later keeps the chat binding
   (Person.contact_id). Otherwise a new person is created.
2. A row without 微信号 but with 手机 is the person with that (姓名, 手机); failing that, the
   one person of that 姓名 stored with neither 微信号 nor 手机, who gets the 手机.
3. A row with neither is the one person named 姓名 among persons without a 微信号.
More than one candidate in 2 or 3 is an error: the row must say who it means. A blank
微信号 or 手机 cell never erases a stored one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from bot.services.roster import texts

PersonKey = tuple[str, ...]
# Rows are matched in this order, so a 微信号 takes over a stored person before that person
# can be claimed by a name-only row, and name-only rows can find people created by others.
_PHASES = {"wx": 0, "np": 1, "n": 2}


@dataclass
class PersonSlot:
    """A person after the import: stored (`id` set) or to be created (`id` None).

    `changed` marks a stored person whose name, 微信号 or 手机 the file changes.
    """

    id: int | None
    name: str
    wechat_id: str | None
    phone: str | None
    changed: bool = False


@dataclass(frozen=True)
class PersonEntry:
    """A person as the file names them: the first row that does, and the identity key."""

    key: PersonKey
    name: str
    wechat_id: str | None
    phone: str | None
    line: int


def person_key(name: str, wechat_id: str | None, phone: str | None) -> PersonKey:
    """The in-file identity of a row's person, following the module's rule."""
    if wechat_id:
        return ("wx", wechat_id)
    if phone:
        return ("np", name, phone)
    return ("n", name)


class PersonIndex:
    """The stored people, looked up by 微信号 and by 姓名, growing as entries are resolved."""

    def __init__(self, stored: list[PersonSlot]) -> None:
        self.slots: list[PersonSlot] = []
        self._by_wechat: dict[str, int] = {}
        self._by_name: dict[str, list[int]] = defaultdict(list)
        for slot in stored:
            self._add(slot)

    def resolve(
        self, entries: dict[PersonKey, PersonEntry]
    ) -> tuple[dict[PersonKey, int], list[tuple[int, str]]]:
        """Slot index for each entry, and (line, text) errors for rows that name no one clearly."""
        found: dict[PersonKey, int] = {}
        errors: list[tuple[int, str]] = []
        for entry in sorted(entries.values(), key=lambda e: (_PHASES[e.key[0]], e.line)):
            index = self._match(entry)
            if index is None:
                errors.append((entry.line, texts.ROSTER_AMBIGUOUS_PERSON.format(name=entry.name)))
            else:
                found[entry.key] = index
        return found, errors

    def _match(self, entry: PersonEntry) -> int | None:
        if entry.wechat_id:
            return self._match_wechat(entry)
        named = self._by_name[entry.name]
        if entry.phone:
            found = [i for i in named if self.slots[i].phone == entry.phone]
            # Someone first listed by name alone keeps their record when a phone is added.
            found = found or [
                i for i in named if not (self.slots[i].wechat_id or self.slots[i].phone)
            ]
        else:
            found = [i for i in named if not self.slots[i].wechat_id]
        if len(found) > 1:
            return None
        if not found:
            return self._add(_new(entry))
        self._update(found[0], entry)
        return found[0]

    def _match_wechat(self, entry: PersonEntry) -> int:
        assert entry.wechat_id
        index = self._by_wechat.get(entry.wechat_id)
        if index is None:
            heirs = [
                i
                for i in self._by_name[entry.name]
                if not self.slots[i].wechat_id
                and (not entry.phone or self.slots[i].phone in (None, entry.phone))
            ]
            if len(heirs) != 1:
                return self._add(_new(entry))
            index = heirs[0]
            self._by_wechat[entry.wechat_id] = index
        self._update(index, entry)
        return index

    def _update(self, index: int, entry: PersonEntry) -> None:
        """Take the row's name and whatever 微信号/手机 it adds; a blank cell erases nothing."""
        slot = self.slots[index]
        wechat_id, phone = entry.wechat_id or slot.wechat_id, entry.phone or slot.phone
        if (slot.name, slot.wechat_id, slot.phone) == (entry.name, wechat_id, phone):
            return
        if slot.name != entry.name:
            self._by_name[slot.name].remove(index)
            self._by_name[entry.name].append(index)
        slot.name, slot.wechat_id, slot.phone = entry.name, wechat_id, phone
        slot.changed = slot.id is not None

    def _add(self, slot: PersonSlot) -> int:
        index = len(self.slots)
        self.slots.append(slot)
        if slot.wechat_id:
            self._by_wechat[slot.wechat_id] = index
        self._by_name[slot.name].append(index)
        return index


def _new(entry: PersonEntry) -> PersonSlot:
    return PersonSlot(id=None, name=entry.name, wechat_id=entry.wechat_id, phone=entry.phone)
