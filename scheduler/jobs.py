"""Jobs: each one calls services and is safe to run late, twice or in two processes."""

from __future__ import annotations

import logging

from sqlalchemy.exc import DBAPIError

from bot.services.briefing import daily as briefing
from bot.services.escalation import sweep as escalation
from bot.services.runtime import Runtime

log = logging.getLogger(__name__)

SWEEPS = {"escalation": escalation.sweep, "briefing": briefing.sweep}


_outage = {"down": False}


def run_sweeps(runtime: Runtime) -> list[int]:
    """Run every sweep that is due now; one failing sweep does not stop the others.

    A database outage is logged once (and once when it is over), not on every wake-up; the
    sweeps catch up afterwards because the database is the schedule.
    """
    queued: list[int] = []
    reached = True
    for name, sweep in SWEEPS.items():
        try:
            queued.extend(sweep(runtime))
        except DBAPIError as exc:
            reached = False
            if not _outage["down"]:
                _outage["down"] = True
                log.warning("sweeps paused, database unreachable: %s", type(exc.orig).__name__)
        except Exception:
            log.exception("sweep %s failed", name)
    if reached and _outage["down"]:
        _outage["down"] = False
        log.warning("sweeps resumed, database reachable again")
    return queued
