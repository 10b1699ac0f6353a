"""Text folding shared by the report and command readers: width, emoji, edges."""

from __future__ import annotations

import unicodedata

_EDGE_PUNCT = frozenset(":;,、：；，")
_DECORATION_CATEGORIES = frozenset({"So", "Sk", "Me", "Mn", "Cf"})


def is_decoration(char: str) -> bool:
    """Emoji, variation selectors, zero-width joiners: noise around keys and values."""
    return ord(char) > 0x7F and unicodedata.category(char) in _DECORATION_CATEGORIES


def fold(text: str) -> str:
    """A copy of equal length for matching: NFKC per character, emoji turned into spaces.

    Equal length lets a match found in the folded copy slice the original, so values keep
    their text exactly as written while keys and punctuation match in any width.
    """
    folded = []
    for char in text:
        normal = unicodedata.normalize("NFKC", char)
        folded.append(" " if is_decoration(char) else normal if len(normal) == 1 else char)
    return "".join(folded)


def trim(value: str) -> str | None:
    """The value without surrounding whitespace, emoji and separators; None when empty."""
    kept = [i for i, char in enumerate(value) if not _is_edge(char)]
    return value[kept[0] : kept[-1] + 1] if kept else None


def _is_edge(char: str) -> bool:
    return char.isspace() or char in _EDGE_PUNCT or is_decoration(char)


def term(text: str) -> str:
    """A category word reduced for comparison: NFKC, case-folded, no spaces or emoji."""
    normal = unicodedata.normalize("NFKC", text).casefold()
    return "".join(char for char in normal if not (char.isspace() or is_decoration(char)))
