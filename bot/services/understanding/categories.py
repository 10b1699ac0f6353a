"""Problem categories (问题类型): the data file's entries, read once at start-up."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from bot.services.understanding._text import pinyin_of, shape, term, term_keep_length

DEFAULT_DEADLINE_HOURS = 72.0
URGENT_HOURS = 2.0


class CategoryFileError(ValueError):
    """The categories file cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Category:
    """A problem category from configuration, with the words patrollers use for it."""

    name: str
    synonyms: tuple[str, ...]
    deadline: timedelta
    words: tuple[str, ...] = ()
    # The deadline when a report asks for 立即 / 马上.
    urgent: timedelta | None = None
    # 核查 needs at least one 整改后 photo before the ticket can be closed.
    after_photo: bool = False
    # Burning and the like: its reminders and pings do not wait for the end of quiet hours.
    pressing: bool = False
    # Time between escalation steps for this category (None: the deployment's setting).
    escalation: timedelta | None = None
    # The default deadline during a heavy-pollution alert (None: as usual).
    alert_deadline: timedelta | None = None
    # How `deadline` counts: "hours" (wall clock), "working_hours" or "working_days".
    deadline_unit: str = "hours"
    deadline_amount: float = 0.0

    @property
    def urgent_deadline(self) -> timedelta:
        return self.urgent or min(self.deadline, timedelta(hours=URGENT_HOURS))


def load_categories(path: Path) -> tuple[Category, ...]:
    """Read the categories TOML (``[[category]]`` with name, synonyms, deadline_hours)."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CategoryFileError(f"{path}: cannot read the categories: {exc}") from exc
    categories: list[Category] = []
    for index, raw in enumerate(data.get("category", []), start=1):
        try:
            hours = float(raw.get("deadline_hours", DEFAULT_DEADLINE_HOURS))
            unit, amount = "hours", 0.0
            if "deadline_working_hours" in raw:
                unit, amount = "working_hours", float(raw["deadline_working_hours"])
                hours = amount * 24 / 7  # a rough wall-clock equivalent, for display only
            elif "deadline_working_days" in raw:
                unit, amount = "working_days", float(raw["deadline_working_days"])
                hours = amount * 24 * 7 / 5
            urgent = raw.get("urgent_hours")
            escalation = raw.get("escalation_hours")
            alert = raw.get("alert_deadline_hours")
            categories.append(
                Category(
                    name=str(raw["name"]),
                    synonyms=tuple(str(s) for s in raw.get("synonyms", [])),
                    deadline=timedelta(hours=hours),
                    words=tuple(str(s) for s in raw.get("words", [])),
                    urgent=None if urgent is None else timedelta(hours=float(urgent)),
                    after_photo=_flag(raw.get("after_photo", False), "after_photo"),
                    pressing=_flag(raw.get("pressing", False), "pressing"),
                    escalation=None if escalation is None else timedelta(hours=float(escalation)),
                    alert_deadline=None if alert is None else timedelta(hours=float(alert)),
                    deadline_unit=unit,
                    deadline_amount=amount,
                )
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CategoryFileError(f"{path}: category #{index} is malformed: {exc}") from exc
    if not categories:
        raise CategoryFileError(f"{path}: no categories defined")
    return tuple(categories)


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, not {value!r}")
    return value


@dataclass(frozen=True)
class Found:
    """A category named in free text: which, by what words, and where."""

    category: Category
    words: str
    start: int
    strong: bool = True  # by a name or synonym, not only an everyday word


class CategoryIndex:
    """The configured categories, ready to be found in what patrollers type.

    Built once per set of categories. Terms are names (strongest), synonyms and everyday
    words (weakest); a longer term beats a shorter one, then a stronger one, then the one
    written first. A term also matches through near-form typos (渣士车) and, when nothing
    matched as written, through near-homophones by pinyin (烧媒 → 烧煤, 秸杆 → 秸秆).
    """

    def __init__(self, categories: tuple[Category, ...]) -> None:
        self.categories = categories
        self.other = next((c for c in categories if c.name in OTHER_NAMES), None)
        terms: dict[str, tuple[int, Category]] = {}
        for category in categories:
            for strength, words in (
                (3, (category.name,)),
                (2, category.synonyms),
                (1, category.words),
            ):
                for word in words:
                    key = shape(term(word))
                    if len(key) >= 2 and (key not in terms or terms[key][0] < strength):
                        terms[key] = (strength, category)
        self._terms = terms
        self._by_pinyin: dict[tuple[str, ...], tuple[str, int, Category]] = {}
        for key, (strength, category) in terms.items():
            self._by_pinyin.setdefault(pinyin_of(key), (key, strength, category))

    def find(self, text: str) -> Found | None:
        """The category the text is about, or None (then the bot files it as 其他).

        The longer term wins, a name or synonym counting one character more than an
        everyday word (「烧煤…冒黑烟」 is loose coal, 「作坊后面…倒在地里」 soil), then the
        stronger, then the one written first. A name or synonym written with a typo (烧媒)
        still beats an everyday word written right.
        """
        folded = shape(term_keep_length(text))
        best: tuple[int, bool, int, str, Category] | None = None
        for key, (strength, category) in self._terms.items():
            at = folded.find(key)
            if at >= 0:
                rank = (len(key) + (strength > 1), strength > 1, -at, key, category)
                if best is None or rank[:3] > best[:3]:
                    best = rank
        if best is None or not best[1]:
            heard = self._find_by_sound(folded)
            if heard is not None and (best is None or heard.strong):
                return heard
        return None if best is None else Found(best[4], best[3], -best[2], best[1])

    def _find_by_sound(self, folded: str) -> Found | None:
        sounds = pinyin_of(folded)
        best: tuple[int, bool, int, str, Category] | None = None
        for key, (word, strength, category) in self._by_pinyin.items():
            for at in range(len(sounds) - len(key) + 1):
                # A typo keeps some of the word as written (烧媒, 秸杆, 拉圾); a word that only
                # sounds alike is another word (过路 is no 锅炉).
                if sounds[at : at + len(key)] == key and _shares(folded, at, word):
                    rank = (len(key) + (strength > 1), strength > 1, -at, word, category)
                    if best is None or rank[:3] > best[:3]:
                        best = rank
                    break
        return None if best is None else Found(best[4], best[3], -best[2], best[1])

    def exact(self, text: str) -> Category | None:
        """The category whose name or synonym the text is, exactly (ignoring width, case)."""
        found = self._terms.get(shape(term(text)))
        return found[1] if found and found[0] >= 2 else None

    def for_field(self, text: str) -> Category | None:
        """The category written in a 类型 field: exact, else found in it, else by a unique
        owner of the words (「黑烟」 → 冒黑烟车辆); None when unclear."""
        exact = self.exact(text)
        if exact is not None:
            return exact
        key = shape(term(text))
        if not key:
            return None
        found = self.find(text)
        if found is not None:
            return found.category
        # One character ("煤", "烟") names too many things to guess from.
        owners = {c.name: c for k, (_, c) in self._terms.items() if len(key) >= 2 and key in k}
        return next(iter(owners.values())) if len(owners) == 1 else None


def _shares(folded: str, at: int, word: str) -> bool:
    """Whether the text at `at` has one character of `word` where the word has it."""
    return any(a == b for a, b in zip(folded[at : at + len(word)], word, strict=False))


OTHER_NAMES = frozenset({"其他", "其它"})


def index_for(categories: tuple[Category, ...]) -> CategoryIndex:
    """The index of a deployment's categories, built once. The same tuple comes with every
    message: it is known by identity first, without hashing its categories again."""
    last = _last
    if last is not None and last[0] is categories:
        return last[1]
    return _remember(categories)


# The tuple last asked for (by identity) and its index. Kept apart from the index's own
# tuple: an equal tuple found in the cache has another identity, and keyed by the index's
# the fast path missed at every message (17 comparisons of categories each time).
_last: tuple[tuple[Category, ...], CategoryIndex] | None = None


def _remember(categories: tuple[Category, ...]) -> CategoryIndex:
    global _last
    index = _index_for(categories)
    _last = (categories, index)
    return index


@lru_cache(maxsize=8)
def _index_for(categories: tuple[Category, ...]) -> CategoryIndex:
    return CategoryIndex(categories)
