"""The scheduler only wakes the sweeps; due times live in the database."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core.clock import SystemClock
from bot.services.runtime import Runtime
from scheduler.jobs import run_sweeps

SWEEP_JOB_ID = "gridbot.sweeps"


def build_scheduler(
    runtime: Runtime, tz: ZoneInfo, every_seconds: int, on_queued: Callable[[], None]
) -> AsyncIOScheduler:
    """An AsyncIOScheduler (explicit zone) that runs the sweeps now and every few seconds."""
    scheduler = AsyncIOScheduler(timezone=tz)

    async def sweeps() -> None:
        if await asyncio.to_thread(run_sweeps, runtime):
            on_queued()

    scheduler.add_job(
        sweeps,
        "interval",
        seconds=every_seconds,
        id=SWEEP_JOB_ID,
        coalesce=True,
        max_instances=1,
        # Catch up at once after a restart instead of waiting a whole interval. APScheduler
        # keeps real time (the sweeps read the runtime's clock for what is due), so "at once"
        # is the system clock's now, even when a test runs the app on a moved clock.
        next_run_time=SystemClock().now().astimezone(tz),
        misfire_grace_time=None,
    )
    return scheduler
