"""A failure that repeats while it lasts (the database down), said once when it starts and
once when it ends, instead of a traceback per request, message or pass."""

from __future__ import annotations

import logging


class Outage:
    def __init__(
        self, log: logging.Logger, paused: str, resumed: str, level: int = logging.WARNING
    ) -> None:
        self._log = log
        self._paused = paused
        self._resumed = resumed
        self._level = level
        self.down = False

    def failed(self, exc: BaseException) -> None:
        """Say the outage began, the first time only; `exc.orig` (a driver error) names it."""
        if not self.down:
            self.down = True
            reason = getattr(exc, "orig", None) or exc
            self._log.log(self._level, "%s: %s", self._paused, type(reason).__name__)

    def recovered(self) -> None:
        if self.down:
            self.down = False
            self._log.warning(self._resumed)
