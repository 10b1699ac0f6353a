"""Jobs: each one calls services and is safe to run late, twice or in two processes."""

from __future__ import annotations

import logging

from sqlalchemy.exc import DBAPIError

from bot.core.outage import Outage
from bot.services.alerts import sweep as alerts
from bot.services.briefing import daily as briefing
from bot.services.escalation import sweep as escalation
from bot.services.patrols import sweep as patrols
from bot.services.reminders import sweep as reminders
from bot.services.reports import sweep as reports
from bot.services.runtime import Runtime

log = logging.getLogger(__name__)

SWEEPS = {
    "alerts": alerts.sweep,
    "escalation": escalation.sweep,
    "reminders": reminders.sweep,
    "patrols": patrols.sweep,
    "briefing": briefing.sweep,
    "reports": reports.sweep,
}


_OUTAGE = Outage(
    log, "sweeps paused, database unreachable", "sweeps resumed, database reachable again"
)


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
            _OUTAGE.failed(exc)
        except Exception:
            log.exception("sweep %s failed", name)
    if reached:
        _OUTAGE.recovered()
    return queued
