"""Text folding shared by the report and command readers: width, emoji, edges."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_EDGE_PUNCT = frozenset(":;,、：；，")
_DECORATION_CATEGORIES = frozenset({"So", "Sk", "Me", "Mn", "Cf"})


def is_decoration(char: str) -> bool:
    """Emoji, variation selectors, zero-width joiners: noise around keys and values."""
    return ord(char) > 0x7F and unicodedata.category(char) in _DECORATION_CATEGORIES


@lru_cache(maxsize=256)
def fold(text: str) -> str:
    """A copy of equal length for matching: NFKC per character, emoji turned into spaces.

    Equal length lets a match found in the folded copy slice the original, so values keep
    their text exactly as written while keys and punctuation match in any width. The
    readers fold the same pieces of a message several times: the last few are kept.
    """
    if text.isascii():  # NFKC leaves ASCII as it is, and it holds no emoji
        return text
    return "".join(map(_fold_char, text))


@lru_cache(maxsize=1 << 16)
def _fold_char(char: str) -> str:
    """One character folded (each report folds its text several times, in Chinese: the
    same few thousand characters)."""
    if is_decoration(char):
        return " "
    normal = unicodedata.normalize("NFKC", char)
    return normal if len(normal) == 1 else char


def trim(value: str) -> str | None:
    """The value without surrounding whitespace, emoji and separators; None when empty."""
    start, end = 0, len(value)
    while start < end and _is_edge(value[start]):
        start += 1
    while end > start and _is_edge(value[end - 1]):
        end -= 1
    return value[start:end] if start < end else None


@lru_cache(maxsize=4096)
def _is_edge(char: str) -> bool:
    return char.isspace() or char in _EDGE_PUNCT or is_decoration(char)


def term(text: str) -> str:
    """A category word reduced for comparison: NFKC, case-folded, no spaces or emoji."""
    normal = unicodedata.normalize("NFKC", text).casefold()
    return "".join(char for char in normal if not (char.isspace() or is_decoration(char)))


# Characters patrollers type for one another when the form is close (渣士车 for 渣土车); used
# only when matching category words, never on what is stored.
_NEAR_FORMS = str.maketrans({"士": "土", "己": "已", "末": "未"})
# A WeChat quote as the client renders it: 「name：text」, a line of dashes, then the new text.
_QUOTE = re.compile(r"^\s*「(?P<quoted>.*?)」[^\S\n]*\n[^\S\n]*(?:-[^\S\n]*){3,}\n?", re.S)
# WeChat's emoji codes ([微笑], [捂脸], [OK]); 【上报】-style headers use other brackets, and a
# bracketed report keyword is kept.
_EMOJI_CODE = re.compile(r"\[(?!上报|問題|问题|报告)[\u4e00-\u9fffA-Za-z]{1,6}\]")


@dataclass(frozen=True)
class Cleaned:
    """A message made ready for reading: simplified characters, no emoji codes, and the
    quoted message (if any) apart from what the sender wrote now."""

    body: str
    quoted: str | None


def clean(text: str) -> Cleaned:
    """Split off a WeChat quote, fold traditional characters to simplified, drop emoji codes."""
    quoted = None
    match = _QUOTE.match(text)
    if match:
        quoted = to_simplified(match.group("quoted"))
        text = text[match.end() :]
    body = _EMOJI_CODE.sub(lambda m: " " * len(m.group()), to_simplified(text))
    return Cleaned(body, quoted)


@lru_cache(maxsize=1)
def _converter() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional characters folded to simplified (上報 → 上报, 辦結 → 办结), OpenCC's table."""
    if text.isascii():
        return text
    converted: str = _converter().convert(text)
    return converted


def shape(text: str) -> str:
    return text.translate(_NEAR_FORMS)


def term_keep_length(text: str) -> str:
    return fold(text).casefold()


@lru_cache(maxsize=8192)
def _sound(char: str) -> str:
    from pypinyin import lazy_pinyin

    return lazy_pinyin(char)[0] if "\u4e00" <= char <= "\u9fff" else char


def pinyin_of(text: str) -> tuple[str, ...]:
    """One toneless syllable per character (other characters as they are)."""
    return tuple(_sound(char) for char in text)
