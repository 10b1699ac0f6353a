"""Jobs: each one calls services and is safe to run late, twice or in two processes."""

from __future__ import annotations

import logging

from bot.services.briefing import daily as briefing
from bot.services.escalation import sweep as escalation
from bot.services.runtime import Runtime

log = logging.getLogger(__name__)

SWEEPS = {"escalation": escalation.sweep, "briefing": briefing.sweep}


def run_sweeps(runtime: Runtime) -> list[int]:
    """Run every sweep that is due now; one failing sweep does not stop the others."""
    queued: list[int] = []
    for name, sweep in SWEEPS.items():
        try:
            queued.extend(sweep(runtime))
        except Exception:
            log.exception("sweep %s failed", name)
    return queued
