"""Draining the outbox through a transport, within the account's sending budget.

WeChat mutes or bans accounts that flood groups, so every message passes a rate limiter:
a total budget per minute and a minimum gap between two messages into one group. Urgent
messages (replies) are claimed first; what the limiter holds back stays queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlmodel import Session

from bot.core.clock import Clock
from bot.core.messages import Outgoing
from bot.core.outage import Outage
from bot.core.ports import DeliveryError, Transport
from bot.services.outbox import queue as outbox
from bot.services.runtime import Runtime, again_if_disconnected
from models.db import sync_now

log = logging.getLogger(__name__)

# Longer than any send may take (the transport's own timeout is 20 s): a send started longer
# ago that never finished belongs to a process that died mid-send.
STUCK_AFTER = timedelta(seconds=90)


class RateLimiter:
    """A sliding one-minute window for the account and a minimum gap per chat.

    Asked from worker threads (the delivery pass and a message's own transaction), so it
    takes a lock: two askers never both get the last slot.
    """

    def __init__(self, clock: Clock, per_minute: int = 20, chat_gap_seconds: float = 1.0) -> None:
        self.clock = clock
        self.per_minute = per_minute
        self.chat_gap = timedelta(seconds=chat_gap_seconds)
        self._sent: deque[datetime] = deque()
        self._last_in_chat: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def _trim(self, now: datetime) -> None:
        while self._sent and now - self._sent[0] >= timedelta(minutes=1):
            self._sent.popleft()

    def budget(self) -> int:
        """How many messages may go out right now in total."""
        now = self.clock.now()
        with self._lock:
            self._trim(now)
            return max(self.per_minute - len(self._sent), 0)

    def allow(self, chat: str) -> bool:
        """Take one slot for `chat` if both limits allow it now."""
        now = self.clock.now()
        with self._lock:
            self._trim(now)
            last = self._last_in_chat.get(chat)
            if len(self._sent) >= self.per_minute or (last and now - last < self.chat_gap):
                return False
            self._sent.append(now)
            self._last_in_chat[chat] = now
            return True


def chat_key(message: Outgoing) -> str:
    return message.room_topic or f"private:{message.private_to}"


class Deliverer:
    """Claims due outbox messages and hands them to the transport: the pass one at a time,
    a message's own replies (`take`, `send_soon`) as soon as that message commits."""

    def __init__(
        self,
        runtime: Runtime,
        transport: Transport,
        limiter: RateLimiter,
        wake: asyncio.Event | None = None,
        on_unknown: Callable[[list[tuple[int, str | None, str]]], object] | None = None,
    ) -> None:
        self.runtime = runtime
        self.on_unknown = on_unknown
        self.transport = transport
        self.limiter = limiter
        self.wake = wake or asyncio.Event()
        self.stopping = False
        self._in_flight: set[asyncio.Task[int]] = set()
        # Something queued was left for the loop while sends were under way: it may be
        # waiting for one of them (its chat's older message), so each one's end wakes the
        # loop, not only the next poll.
        self._waiting = False
        self._finished = False
        self._abandoned: deque[Outgoing] = deque()
        self._outage = Outage(
            log,
            "delivery paused, database unreachable",
            "delivery resumed, database reachable again",
        )

    async def run_once(self) -> int:
        """One pass: send what the limiter allows; return how many were sent.

        The first message of a pass is claimed and begun in the transaction that also
        expires stuck sends: one commit (an ordinary one, waiting for the disk) and one
        thread hop between a reply being queued and its send.
        """
        if self._abandoned:
            await asyncio.to_thread(self._put_back_abandoned)
        ready = self.transport.is_ready()
        budget = self.limiter.budget() if ready else 0
        now = self.runtime.clock.now()
        stuck, batch, begun = await asyncio.to_thread(self._prepare, now, budget * 3)
        if stuck:
            log.error("%d sends of uncertain outcome (a process stopped mid-send)", len(stuck))
            if self.on_unknown is not None:
                await asyncio.to_thread(self.on_unknown, stuck)
        sent = 0
        held: list[int] = []
        for message in batch:
            if message is begun:  # claimed, allowed and begun already: it must go now
                sent += await self._send(message, begun=True)
                continue
            if (
                self.stopping
                or not self.transport.is_ready()
                or not self.limiter.allow(chat_key(message))
            ):
                held.append(message.outbox_id)
                continue
            sent += await self._send(message)
        if held:
            await asyncio.to_thread(self._release, held)
        return sent

    def _prepare(
        self, now: datetime, limit: int
    ) -> tuple[list[tuple[int, str | None, str]], list[Outgoing], Outgoing | None]:
        """Expire stuck sends, claim up to `limit` and begin the first the limiter allows."""
        begun: Outgoing | None = None
        with self.runtime.transaction() as session:
            stuck = outbox.expire_started(session, now - STUCK_AFTER)
            batch = outbox.claim(session, now, limit) if limit else []
            first = batch[0] if batch else None
            if (
                first is not None
                and not self.stopping
                and self.limiter.allow(chat_key(first))
                and outbox.begin(session, first, now)
            ):
                begun = first
        return [(row.id or 0, row.room_topic, row.text) for row in stuck], batch, begun

    def take(self, session: Session, ids: list[int]) -> list[Outgoing]:
        """In the caller's transaction (a message's, opened with `may_sync_now`), claim and
        begin the messages it just queued that the limiter lets go now; hand them to
        `send_soon` once it has committed.

        The rest stay pending for the delivery pass. This saves a reply the wake-up, the
        pass's own transaction of several statements, and any commit but its message's
        between being queued and being sent. Nothing is taken once stopping.
        """
        if self.stopping or self._finished or not self.transport.is_ready():
            return []
        now = self.runtime.clock.now()
        taken = outbox.take(session, ids, now)
        allowed = [m for m in taken if self.limiter.allow(chat_key(m))]
        outbox.unbegin(session, [m for m in taken if m not in allowed], now)
        if not allowed:
            sync_now(session, False)  # nothing begun: the commit need not wait after all
        return allowed

    def send_soon(self, messages: list[Outgoing]) -> None:
        """Send messages `take` claimed and began, each in a task of its own; the delivery
        loop waits for them before it ends. Once it has ended they are put back, as they
        were certainly not sent."""
        if self._finished:
            self.put_back(messages)
            return
        for message in messages:
            task = asyncio.create_task(self._send(message, begun=True))
            self._in_flight.add(task)
            task.add_done_callback(self._sent_soon)

    def put_back(self, messages: list[Outgoing]) -> None:
        """Messages `take` began that will certainly not be sent (the bot is stopping):
        back to pending, for the next start, not left as sends of unknown fate. If the
        database does not answer, the next delivery pass tries again (`abandon`)."""
        if not messages:
            return
        try:
            self._unbegin(messages)
        except SQLAlchemyError as exc:
            log.warning("%d begun replies not put back yet: %s", len(messages), exc)
            self.abandon(messages)

    def abandon(self, messages: list[Outgoing]) -> None:
        """Messages `take` began whose message then failed to be handled (its commit's
        answer was lost, and handling it again failed too): certainly not sent, and maybe
        begun on disk. The next delivery pass puts them back to pending (the database may
        be what failed), so they go out once, not become sends of unknown fate. Safe from
        any thread."""
        self._abandoned.extend(messages)

    def _put_back_abandoned(self) -> None:
        batch = [self._abandoned.popleft() for _ in range(len(self._abandoned))]
        try:
            self._unbegin(batch)
        except BaseException:
            self._abandoned.extendleft(reversed(batch))
            raise

    def _unbegin(self, messages: list[Outgoing]) -> None:
        with self.runtime.transaction() as session:
            outbox.unbegin(session, messages, self.runtime.clock.now())

    def note_waiting(self) -> None:
        """A message's queued replies were not all taken: wake the loop when the sends under
        way end too (a reply held back for its chat's older one may go then)."""
        if self._in_flight:
            self._waiting = True

    def _sent_soon(self, task: asyncio.Task[int]) -> None:
        self._in_flight.discard(task)
        if self._waiting:
            self.wake.set()
            self._waiting = bool(self._in_flight)
        if task.cancelled() or task.exception() is None:
            return
        exc = task.exception()
        if isinstance(exc, DBAPIError):
            self._outage.failed(exc)
        else:
            log.error("a reply's send failed", exc_info=exc)

    async def settle(self) -> None:
        """Wait until the sends `send_soon` started have finished and been recorded."""
        while self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    def _release(self, ids: list[int]) -> None:
        with self.runtime.transaction() as session:
            outbox.release(session, ids, self.runtime.clock.now())

    async def _send(self, message: Outgoing, *, begun: bool = False) -> int:
        if not begun and not await asyncio.to_thread(self._begin, message):
            return 0  # the claim was taken back (a restart recovered it): someone else sends
        try:
            platform_id = await self.transport.send(message)
        except DeliveryError as exc:
            log.warning("delivery of outbox %s failed: %s", message.outbox_id, exc)
            await asyncio.to_thread(self._failed, message.outbox_id, str(exc), exc.permanent)
            return 0
        except Exception as exc:  # a transport bug must not stop the loop
            log.exception("delivery of outbox %s crashed", message.outbox_id)
            await asyncio.to_thread(self._failed, message.outbox_id, repr(exc), False)
            return 0
        await asyncio.to_thread(self._sent, message.outbox_id, platform_id)
        return 1

    def _begin(self, message: Outgoing) -> bool:
        # An ordinary commit, waiting for the disk: it also flushes every commit made with
        # `sync_later` before it (the report this message answers), so nothing acknowledged
        # can be lost, power loss included.
        with self.runtime.transaction() as session:
            return outbox.begin(session, message, self.runtime.clock.now())

    def recover(self) -> None:
        """At start: what a dead process had claimed but not begun to send goes out now."""
        with self.runtime.transaction() as session:
            outbox.release_unstarted(session, self.runtime.clock.now())

    def _sent(self, outbox_id: int, platform_id: str | None) -> None:
        # Need not wait for the disk: lost on power loss, the row stays a begun send and
        # becomes 'unknown' (listed, never resent), as for a crash mid-send. Once more on a
        # new connection if the server went away meanwhile: the message did go out.
        def mark() -> None:
            with self.runtime.transaction(sync_later=True) as session:
                outbox.mark_sent(session, outbox_id, self.runtime.clock.now(), platform_id)

        again_if_disconnected(mark, f"the sent mark of outbox {outbox_id}")

    def _failed(self, outbox_id: int, error: str, permanent: bool) -> None:
        with self.runtime.transaction() as session:
            outbox.mark_failed(
                session, outbox_id, self.runtime.clock.now(), error, permanent=permanent
            )

    async def run_forever(self, idle_seconds: float = 1.0) -> None:
        """Deliver until `stop()`; wakes at once when `wake` is set, else polls."""
        try:
            await asyncio.to_thread(self.recover)
        except Exception:
            log.exception("could not recover the outbox at start")
        while not self.stopping:
            # Cleared before the pass: a wake that arrives during it starts another pass
            # instead of being lost until the next poll.
            self.wake.clear()
            try:
                sent = await self.run_once()
            except DBAPIError as exc:
                self._outage.failed(exc)
                sent = 0
            except Exception:
                log.exception("delivery pass failed")
                sent = 0
            else:
                self._outage.recovered()
            if sent or self.stopping:
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(idle_seconds):
                    await self.wake.wait()
        try:
            await self.settle()
        finally:
            # Also when cancelled (the shutdown's grace ran out): from now on a message's
            # begun replies are put back rather than sent by a task nobody waits for.
            self._finished = True
        await self.settle()  # a take that was under way when the loop ended
        if self._abandoned:  # a last try: after this, nothing would put them back
            try:
                await asyncio.to_thread(self._put_back_abandoned)
            except SQLAlchemyError as exc:
                ids = [m.outbox_id for m in self._abandoned]
                log.error("begun replies %s not put back, so unknown: %s", ids, exc)

    def stop(self) -> None:
        """Finish the message in flight, put the rest back, and leave the loop.

        Cancelling a send midway would leave its fate unknown; letting it finish keeps the
        outbox exact across a restart.
        """
        self.stopping = True
        self.wake.set()
