"""The scorecard (config/scorecard.toml): scores, grades and the ranking of a grid's children."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

from bot.services.reports.indicators import RATES, Indicators


class ScorecardFileError(ValueError):
    """The scorecard cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Scorecard:
    mode: str = "composite"
    grades: tuple[tuple[str, float], ...] = (("A", 90), ("B", 75), ("C", 60))
    weights: dict[str, float] = field(
        default_factory=lambda: {
            "accept_rate": 15,
            "resolve_rate": 30,
            "close_rate": 20,
            "verify_rate": 10,
            "patrol_rate": 15,
            "valid_rate": 10,
        }
    )
    per_overdue: float = 2
    per_rework: float = 1
    per_missed_patrol_day: float = 0.5
    cap: float = 40
    name_last: int = 3
    rework_denominator: str = "to_close"
    weekly_weekday: int = 4
    weekly_at: time = time(16, 0)
    monthly_day: int = 1
    monthly_at: time = time(9, 0)

    def score(self, f: Indicators) -> float | None:
        """0–100; None when nothing in the period can be scored."""
        if self.mode == "deduction":
            missed = max(f.patrol_expected - f.patrol_days, 0)
            off = (
                f.overdue * self.per_overdue
                + f.reworked * self.per_rework
                + missed * self.per_missed_patrol_day
            )
            return 100 - min(off, self.cap)
        total = weight = 0.0
        for name, w in self.weights.items():
            rate = getattr(f, name)
            if rate is not None:
                # 返工率 is better low: it scores as its complement.
                total += w * ((1 - rate) if name == "rework_rate" else rate)
                weight += w
        return 100 * total / weight if weight else None

    def grade(self, score: float | None) -> str:
        if score is None:
            return "—"
        for name, floor in self.grades:
            if score >= floor:
                return name
        return "D"


@dataclass(frozen=True)
class Ranked:
    name: str
    score: float | None
    grade: str
    rank: int | None


def rank(card: Scorecard, rows: list[tuple[str, Indicators]]) -> list[Ranked]:
    """Children best first; those with nothing to score come last, unranked."""
    scored = [(name, card.score(f)) for name, f in rows]
    with_score = sorted(
        ((n, s) for n, s in scored if s is not None), key=lambda item: (-item[1], item[0])
    )
    ranked = [Ranked(name, s, card.grade(s), n) for n, (name, s) in enumerate(with_score, start=1)]
    ranked += [Ranked(name, None, "—", None) for name, s in scored if s is None]
    return ranked


def _time(raw: Any, where: str) -> time:
    try:
        return time.fromisoformat(str(raw))
    except ValueError as exc:
        raise ScorecardFileError(f"{where}: not a time HH:MM: {raw!r}") from exc


def load_scorecard(path: Path) -> Scorecard:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ScorecardFileError(f"{path}: cannot read the scorecard: {exc}") from exc
    try:
        return _card(data)
    except ScorecardFileError as exc:
        raise ScorecardFileError(f"{path}: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise ScorecardFileError(f"{path}: malformed entry: {exc}") from exc


def _card(data: dict[str, Any]) -> Scorecard:
    mode = str(data.get("mode", "composite"))
    if mode not in ("composite", "deduction"):
        raise ScorecardFileError(f'mode: must be "composite" or "deduction", not {mode!r}')
    weights = {str(k): float(v) for k, v in data.get("weights", {}).items()}
    unknown = set(weights) - set(RATES)
    if unknown:
        raise ScorecardFileError(
            f"weights: unknown indicators {sorted(unknown)}; use {list(RATES)}"
        )
    grades = tuple(
        sorted(((str(k), float(v)) for k, v in data.get("grades", {}).items()), key=lambda g: -g[1])
    )
    d = data.get("deductions", {})
    r = data.get("ranking", {})
    s = data.get("schedule", {})
    denominator = str(r.get("rework_denominator", "to_close"))
    if denominator not in ("to_close", "resolved"):
        raise ScorecardFileError('ranking.rework_denominator: must be "to_close" or "resolved"')
    weekday = int(s.get("weekly_weekday", 4))
    if not 1 <= weekday <= 7:
        raise ScorecardFileError("schedule.weekly_weekday: must be 1 (Monday) to 7")
    day = int(s.get("monthly_day", 1))
    if not 1 <= day <= 28:
        raise ScorecardFileError("schedule.monthly_day: must be 1 to 28")
    defaults = Scorecard()
    return Scorecard(
        mode=mode,
        grades=grades or defaults.grades,
        weights=weights or defaults.weights,
        per_overdue=float(d.get("per_overdue", 2)),
        per_rework=float(d.get("per_rework", 1)),
        per_missed_patrol_day=float(d.get("per_missed_patrol_day", 0.5)),
        cap=float(d.get("cap", 40)),
        name_last=int(r.get("name_last", 3)),
        rework_denominator=denominator,
        weekly_weekday=weekday,
        weekly_at=_time(s.get("weekly_at", "16:00"), "schedule.weekly_at"),
        monthly_day=day,
        monthly_at=_time(s.get("monthly_at", "09:00"), "schedule.monthly_at"),
    )
