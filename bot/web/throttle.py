"""Log-in attempts per client address in a sliding window (in memory: one process)."""

from __future__ import annotations

import collections
from datetime import datetime, timedelta

# Attempts in the window before log-in is refused for a while.
LOGIN_TRIES, LOGIN_WINDOW = 10, timedelta(minutes=10)


class LoginLimiter:
    """At most `tries` attempts per address within `window` (time from the app's clock)."""

    def __init__(self, tries: int = LOGIN_TRIES, window: timedelta = LOGIN_WINDOW) -> None:
        self.tries, self.window = tries, window
        self._seen: dict[str, collections.deque[datetime]] = {}

    def allow(self, address: str, now: datetime) -> bool:
        seen = self._seen.setdefault(address, collections.deque())
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        if len(seen) >= self.tries:
            return False
        seen.append(now)
        return True
