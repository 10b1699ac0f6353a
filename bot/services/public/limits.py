"""How often one address may file a report, without a captcha: kept in memory per process.

A restart forgets the counts, and two processes count apart; that is enough to stop a
script filling the office's queue, which is all it is for. Keys are digests, never addresses.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.clock import Clock

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# Beyond this many addresses, those without a report in the last day are forgotten.
PRUNE_AT = 10_000


@dataclass
class ReportLimiter:
    """At most `per_hour` reports in any hour and `per_day` in any day from one key."""

    clock: Clock
    per_hour: int = 5
    per_day: int = 20
    _seen: dict[str, deque[datetime]] = field(default_factory=dict)

    def take(self, key: str) -> bool:
        """Count one report for `key` now, if it is within both limits; False if not."""
        now = self.clock.now()
        times = self._seen.setdefault(key, deque())
        while times and times[0] <= now - DAY:
            times.popleft()
        last_hour = sum(1 for at in times if at > now - HOUR)
        if len(times) >= self.per_day or last_hour >= self.per_hour:
            return False
        times.append(now)
        if len(self._seen) > PRUNE_AT:
            self._prune(now)
        return True

    def _prune(self, now: datetime) -> None:
        for key in [k for k, t in self._seen.items() if not t or t[-1] <= now - DAY]:
            del self._seen[key]
