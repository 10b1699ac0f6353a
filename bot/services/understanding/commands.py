"""Reading chat commands (受理 112201, 帮助 …) with a vocabulary the command router supplies.

The verbs are not listed here: each command is declared once next to its handler
(`handlers.router`), and the router builds one `Grammar` from those declarations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.services.understanding._text import fold, trim

_CODE = re.compile(r"\s*(?:工单)?\s*(?P<code>[0-9A-Za-z]*[0-9][0-9A-Za-z]*)(?![0-9A-Za-z])")
# "受理112201" (no space) is common, but "销号2件，办结3件" is a progress note, not a command;
# counts are short, ticket codes are not.
_MIN_GLUED_CODE = 4
_BARE_END = re.compile(r"[\s?？!！。.]*")


@dataclass(frozen=True)
class Verb:
    """A word that starts a command; `takes_code` when a ticket code follows it."""

    word: str
    command: str
    takes_code: bool = True


@dataclass(frozen=True)
class Command:
    """A command as read: `verb` is the command's name ("accept", "help", …)."""

    verb: str
    code: str | None
    note: str


class Grammar:
    """The commands a deployment understands, compiled once into one pattern."""

    def __init__(self, verbs: Iterable[Verb]) -> None:
        self._verbs = {verb.word: verb for verb in verbs}
        # Longest first, so 「补充照片」 wins over 「照片」.
        words = "|".join(re.escape(w) for w in sorted(self._verbs, key=len, reverse=True))
        self._head = re.compile(
            rf"\s*(?:@\S+\s+)*(?P<tag>#?)\s*(?P<verb>{words})(?P<sep>[^\S\n]*:|\s+|)"
        )

    def parse(self, text: str) -> Command | None:
        """The command in `text`, or None when it is chat.

        Tolerates ``#受理``, a colon after the verb, leading @mentions, full-width text, and a
        code glued to the verb (「受理112201」). Codes are upper-cased and half-width. A verb
        alone, or ``#受理`` / ``受理：`` followed by text without a code, gives code None (the
        handler answers with usage); a bare verb followed by other words (「受理 一下」
        「受理了吗」) is chat. A command without a code (帮助) must stand alone.
        """
        folded = fold(text)
        head = self._head.match(folded)
        if head is None:
            return None
        verb = self._verbs[head.group("verb")]
        if not verb.takes_code:
            bare = _BARE_END.fullmatch(folded, head.end())
            return Command(verb.command, None, "") if bare else None
        code_match = _CODE.match(folded, head.end())
        code = code_match.group("code").upper() if code_match else None
        note = trim(text[code_match.end() if code_match else head.end() :]) or ""
        sep, rest = head.group("sep"), folded[head.end() :].strip()
        if rest and not sep and (code is None or len(code) < _MIN_GLUED_CODE):
            return None
        if code is None and note and not (head.group("tag") or ":" in sep):
            return None
        return Command(verb=verb.command, code=code, note=note)
