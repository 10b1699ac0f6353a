"""The scheduler wakes the sweeps in the deployment's zone, and at once after a (re)start."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.job import Job
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine

from bot.core.clock import SystemClock
from scheduler.setup import SWEEP_JOB_ID, build_scheduler
from tests.harness import Harness

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Long enough that only the start-up catch-up run can fire while a test waits.
EVERY_DAY = 24 * 3600


@pytest.fixture
def bot(engine: Engine) -> Harness:
    return Harness.on(engine)


def nothing() -> None:
    return None


def sweep_job(scheduler: AsyncIOScheduler) -> Job:
    job = scheduler.get_job(SWEEP_JOB_ID)
    assert job is not None, f"no job {SWEEP_JOB_ID!r}"
    return job


def test_the_deployment_zone_is_given_to_the_scheduler_and_its_trigger(bot: Harness) -> None:
    scheduler = build_scheduler(bot.runtime, bot.runtime.policy.tz, 30, nothing)
    job = sweep_job(scheduler)
    assert scheduler.timezone == SHANGHAI
    assert isinstance(job.trigger, IntervalTrigger)
    assert job.trigger.timezone == SHANGHAI
    assert job.trigger.interval == timedelta(seconds=30)


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Europe/Berlin", "America/New_York"])
def test_the_zone_passed_in_is_the_one_used(bot: Harness, zone: str) -> None:
    tz = ZoneInfo(zone)
    scheduler = build_scheduler(bot.runtime, tz, 30, nothing)
    job = sweep_job(scheduler)
    assert scheduler.timezone == tz
    assert isinstance(job.trigger, IntervalTrigger)
    assert job.trigger.timezone == tz
    assert job.next_run_time is not None
    assert job.next_run_time.tzinfo == tz


def test_sweeps_never_pile_up(bot: Harness) -> None:
    job = sweep_job(build_scheduler(bot.runtime, SHANGHAI, 30, nothing))
    # Runs missed while the bot was busy or down become one run, and never two at once:
    # the sweeps are safe to repeat, but repeating them would only load the database.
    assert job.id == SWEEP_JOB_ID == "gridbot.sweeps"
    assert job.coalesce is True
    assert job.max_instances == 1
    assert job.misfire_grace_time is None  # a late run still runs, however late


def test_the_first_sweep_is_due_at_start_not_after_an_interval(bot: Harness) -> None:
    # APScheduler keeps real time, so "at once" is the system clock's now (the sweeps then
    # read the runtime's clock for what is due), also when the runtime's clock was moved.
    bot.clock.advance(timedelta(days=3))
    before = SystemClock().now()
    job = sweep_job(build_scheduler(bot.runtime, SHANGHAI, EVERY_DAY, nothing))
    after = SystemClock().now()
    assert job.next_run_time is not None
    assert before <= job.next_run_time <= after
    assert job.next_run_time.utcoffset() == timedelta(hours=8)


async def test_the_job_wakes_delivery_only_when_it_queued_something(bot: Harness) -> None:
    woken: list[datetime] = []
    scheduler = build_scheduler(bot.runtime, SHANGHAI, 30, lambda: woken.append(bot.clock.now()))
    run = sweep_job(scheduler).func
    bot.clock.set(datetime(2026, 11, 23, 7, 0, tzinfo=SHANGHAI))  # quiet hours: nothing due
    await run()
    assert woken == []
    bot.clock.advance(timedelta(minutes=90))  # 08:30: the day's briefings are queued
    await run()
    assert woken == [bot.clock.now()]
    await run()  # nothing new at the same moment: delivery is left alone
    assert woken == [bot.clock.now()]


async def test_a_started_scheduler_sweeps_at_once(bot: Harness) -> None:
    code = bot.report("一村群", "巡查员辛")  # 散煤: 48 h to resolve
    bot.clock.advance(timedelta(hours=49))
    queued = asyncio.Event()
    scheduler = build_scheduler(bot.runtime, SHANGHAI, EVERY_DAY, queued.set)
    # APScheduler fires by the system time; the harness's moment lies in the past, so the
    # catch-up run is due at once, and the daily interval rules out any second run.
    scheduler.start()
    try:
        await asyncio.wait_for(queued.wait(), 5)
    finally:
        scheduler.shutdown(wait=False)
    pings = [s for s in bot.flush() if s.text.startswith("【超期提醒")]
    assert [(p.room, p.mentions) for p in pings] == [("一村群", ("村书记戊",))]
    assert code in pings[0].text
