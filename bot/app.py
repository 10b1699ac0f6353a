"""The composition root: builds every long-lived resource and owns its lifecycle.

Each resource is started and stopped in its own cleanup-context step (aiohttp's pattern),
in order: database, transport, delivery, scheduler. Nothing connects at import time.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from aiohttp import web
from sqlalchemy.exc import DBAPIError

from bot.adapters.simulator import SimulatorTransport
from bot.bootstrap import build_runtime
from bot.connection import ConnectionWatch
from bot.core.clock import Clock
from bot.core.messages import Attachment, Inbound
from bot.core.ports import Transport
from bot.services.evidence import filing
from bot.services.office import accounts
from bot.services.outbox.delivery import Deliverer, RateLimiter
from bot.services.roster import binding
from bot.services.roster import importer as roster
from bot.services.runtime import Runtime
from bot.web import keys
from bot.web.console_auth import session_secret
from bot.web.routes import setup_routes
from config.settings import Settings
from handlers.dispatcher import Dispatcher, Handled, Later
from scheduler.setup import build_scheduler

log = logging.getLogger(__name__)

# Roster uploads and residents' photos (each route checks its own, smaller limit).
UPLOAD_LIMIT = 8 * 1024 * 1024
# How long shutdown waits for the message in flight (longer than a send's own timeout).
DELIVERY_GRACE_SECONDS = 20.0


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    runtime = await asyncio.to_thread(build_runtime, settings, app.get(keys.CLOCK))
    if settings.demo_roster and not settings.wechat_enabled:
        report = await asyncio.to_thread(
            roster.import_if_empty, runtime.engine, settings.demo_roster
        )
        if report is not None:
            log.info("demo roster imported: %s", report.summary())
    await asyncio.to_thread(_first_admin, runtime)
    app[keys.RUNTIME] = runtime
    yield
    runtime.engine.dispose()


def _first_admin(runtime: Runtime) -> None:
    """On a database without office accounts, make `admin` and leave its password in a file
    only the bot's user can read (never in the log)."""
    with runtime.transaction() as session:
        password = accounts.first_admin(session, runtime.clock.now())
    if password is None:
        return
    path = first_admin_file(runtime.policy.data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(
        f"用户名：{accounts.FIRST_ADMIN}\n初始密码：{password}\n请登录后新建自己的账号。\n"
    )
    log.info("console account %s created; its password is in %s", accounts.FIRST_ADMIN, path)


def first_admin_file(data_dir: Path) -> Path:
    return data_dir / "initial-admin-password.txt"


def _wechat(settings: Settings, runtime: Runtime, watch: ConnectionWatch) -> Transport:
    from bot.adapters.wechaty_transport import WechatyTransport

    transport = WechatyTransport(
        settings.puppet_endpoint,
        settings.puppet_token,
        clock=runtime.clock,
        cache_dir=settings.data_dir / "wechaty",
        on_login=watch.on_login,
        on_logout=watch.on_logout,
        on_room_topic=watch.on_room_topic,
    )
    watch.listing = transport
    return transport


async def _transport(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    runtime = app[keys.RUNTIME]
    health = app[keys.HEALTH]
    dispatcher = Dispatcher(runtime)
    wake = app[keys.WAKE].set
    transport: Transport
    if settings.wechat_enabled:
        health.transport, health.logged_in = "wechat", False
        health.problem = "正在连接微信网关……"
        transport = _wechat(settings, runtime, ConnectionWatch(runtime, health, wake))
    else:
        simulator = SimulatorTransport(runtime.clock)
        app[keys.SIMULATOR] = simulator
        transport = simulator

    # Slow commands (a 月报 over a province) run here, one at a time, beside the stream.
    beside: set[asyncio.Task[None]] = set()
    lane = asyncio.Lock()

    async def on_message(inbound: Inbound) -> None:
        await _handle(
            inbound,
            lambda take, abandon: dispatcher.handle_taking(inbound, take, abandon, beside=True),
        )

    async def _beside(inbound: Inbound, later: Later) -> None:
        async with lane:
            await _handle(inbound, later)

    async def _handle(inbound: Inbound, call: Later) -> None:
        # Replies the limiter lets go now are claimed and begun in the message's own
        # transaction and sent the moment it commits; the rest wait for the delivery loop.
        deliverer: Deliverer | None = app.get(keys.DELIVERER)

        take = deliverer.take if deliverer is not None else None
        abandon = deliverer.abandon if deliverer is not None else None
        # Text, photos and files alike: the dispatcher decides, off the event loop.
        work = asyncio.ensure_future(asyncio.to_thread(call, take, abandon))
        try:
            try:
                handled = await asyncio.shield(work)
            except asyncio.CancelledError:
                # Stopping: the message's thread runs on, and replies it begins would be
                # left begun and never sent; they go back to pending once it is done, however
                # often the stop cancels this task meanwhile.
                if deliverer is not None:
                    work.add_done_callback(functools.partial(_put_back_begun, deliverer))
                with contextlib.suppress(BaseException):
                    await asyncio.shield(work)  # the thread ends before the stop goes on
                raise
            if handled.later is not None:
                # The transport goes on with the next message; this one is handled beside.
                task = asyncio.create_task(_beside(inbound, handled.later))
                beside.add(task)
                task.add_done_callback(beside.discard)
                return
            if deliverer is not None and handled.sending:
                deliverer.send_soon(handled.sending)
            waiting = len(handled.queued) - len(handled.sending)
            if inbound.attachment is not Attachment.NONE:
                waiting += len(
                    await filing.collect(runtime, transport.fetch_attachment, [inbound.message_id])
                )
        except DBAPIError as exc:
            # One line per outage, not a traceback per message; the gateway will not
            # redeliver, so the sender is asked to resend by the back-online notice.
            health.database.failed(exc)
            return
        except Exception:
            log.exception("message %s could not be handled", inbound.message_id)
            return
        health.database.recovered()
        if waiting:
            wake()
            if deliverer is not None:
                deliverer.note_waiting()

    app[keys.TRANSPORT] = transport
    try:
        await asyncio.to_thread(dispatcher.warm_up)
    except Exception:  # only a cost saved: the messages get the same reader anyway
        log.exception("warming the reader up failed")
    await transport.start(on_message)
    # Attachments claimed before a crash or restart are fetched now, not lost.
    recovery = asyncio.create_task(_collect_claimed(runtime, transport, wake))
    yield
    recovery.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await recovery
    await transport.stop()
    if beside:
        # Slow commands already taken from the transport finish before the end; their
        # replies are in the outbox (the delivery loop may have stopped first: the next
        # start sends them).
        await asyncio.gather(*beside, return_exceptions=True)


def _put_back_begun(deliverer: Deliverer, work: asyncio.Future[Handled]) -> None:
    """A message's replies its thread began after its task was cancelled: not to be sent."""
    if not work.cancelled() and work.exception() is None:
        try:
            deliverer.put_back(work.result().sending)
        except Exception:
            log.exception("begun replies could not be put back")


async def _collect_claimed(
    runtime: Runtime, transport: Transport, wake: Callable[[], None]
) -> None:
    try:
        while not transport.is_ready():  # WeChat logs in a moment after start
            await asyncio.sleep(1)
        if await filing.collect(runtime, transport.fetch_attachment):
            wake()
    except Exception:
        log.exception("claimed attachments could not be collected")


async def _delivery(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    runtime = app[keys.RUNTIME]
    limiter = RateLimiter(
        runtime.clock, settings.send_budget_per_minute, settings.room_min_interval_seconds
    )
    wake = app[keys.WAKE]

    def unknown(stuck: list[tuple[int, str | None, str]]) -> None:
        if binding.announce_unknown(runtime, stuck):
            wake.set()

    deliverer = Deliverer(runtime, app[keys.TRANSPORT], limiter, wake=wake, on_unknown=unknown)
    app[keys.DELIVERER] = deliverer
    task = asyncio.create_task(deliverer.run_forever(), name="gridbot-delivery")
    yield
    deliverer.stop()
    try:
        async with asyncio.timeout(DELIVERY_GRACE_SECONDS):
            await asyncio.shield(task)
    except TimeoutError:
        log.warning("delivery did not finish within %s s; cancelling", DELIVERY_GRACE_SECONDS)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _scheduler(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    runtime = app[keys.RUNTIME]
    scheduler = build_scheduler(
        runtime, runtime.policy.tz, min(settings.sweep_seconds, 30), app[keys.DELIVERER].wake.set
    )
    scheduler.start()
    yield
    scheduler.shutdown(wait=False)


def build_app(settings: Settings, clock: Clock | None = None) -> web.Application:
    """The whole bot as one aiohttp application; `clock` defaults to the system clock."""
    app = web.Application(client_max_size=UPLOAD_LIMIT)
    app[keys.SETTINGS] = settings
    if clock is not None:
        app[keys.CLOCK] = clock
    app[keys.WAKE] = asyncio.Event()
    app[keys.HEALTH] = keys.Health()
    app[keys.ADMIN_TOKEN] = settings.admin_token or secrets.token_urlsafe(16)
    app[keys.SESSION_SECRET] = session_secret(settings.session_secret, settings.data_dir)
    app.cleanup_ctx.extend([_database, _transport, _delivery, _scheduler])
    setup_routes(app)
    return app
