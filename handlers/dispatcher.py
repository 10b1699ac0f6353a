"""The dispatcher: one inbound message in, replies into the outbox, in one transaction.

Nothing is half-written: when a handler refuses a command (or fails), its transaction is rolled
back whole and the message is recorded again with only the refusal, so it leaves no ticket
behind, while the message id and the reply are still recorded.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from bot.core import texts
from bot.core.errors import UserError
from bot.core.inputs import clean_inbound
from bot.core.messages import Attachment, Inbound, Outgoing, Reply
from bot.services import memory as directory
from bot.services.intake import inbound as intake
from bot.services.intake import texts as intake_texts
from bot.services.outbox.queue import PRIORITY_REPLY, Draft, enqueue, unbegin
from bot.services.roster import lookup
from bot.services.runtime import Runtime, again_if_disconnected
from bot.services.tickets.ledger import Origin
from bot.services.understanding.commands import Command
from bot.services.understanding.places import looks_like_place
from bot.services.understanding.reader import body_of, understand
from handlers import (
    alerts,
    caseflow,
    evidence,
    help,
    patrols,
    reports,
    several,
    tickets,
    worklist,
)
from handlers.context import Context
from handlers.router import Router

log = logging.getLogger(__name__)

Handler = Callable[[Context], list[Reply]]


@dataclass(frozen=True)
class Route:
    """What to do with a message. A tentative route (a photo, a place after the bot asked
    for one) asks nothing by itself: from someone unknown it is chat and gets no refusal."""

    handler: Handler
    tentative: bool = False
    # A read the handler will make, to ride with the message's claim (`intake.Along`).
    along: Callable[[Session], intake.Along | None] | None = None
    # A long read (`CommandSpec.slow`): made first, outside the message's transaction.
    slow: bool = False


# The whole bot's commands, in the order 「帮助」 and the README list them.
ROOT = Router("gridbot")
ROOT.include(
    tickets.router,
    caseflow.router,
    worklist.router,
    reports.router,
    patrols.router,
    alerts.router,
    evidence.router,
    help.router,
)
# 「收到」 (as heads answer an alert): a receipt when an alert waits for the group, else chat.
# 「好的，收到」「东关社区收到」「[OK]收到」 too: a few words before it (`body_of` drops the
# emoji codes).
ACKNOWLEDGED = re.compile(
    r"(?:@\S+\s*)*(?:[^\s@,，]{1,8}[,，\s]*)?(?:已)?收到[了啦]?[!！。.，,~\s]*(?:\S{0,20})"
)
# 「未收到」「是否收到」「二村收到了吧」「请各村收到后回复」: no receipt.
_NOT_A_RECEIPT = re.compile(
    r"(?:未|不|没|否|谁|请|如果|各)[^收]{0,6}收到|收到了?(?:吗|么|否|吧|没|不|后|请)|收不收到|"
    r"[吧么][!！。.~\s]*$"
)
# 「上报」 alone: files the problem the bot just asked about (「要登记为工单吗？」).
FILE_IT = re.compile(
    r"(?:@\S+\s*)*(?:要|需要|请|确认|是的?[,，]?)?(?:上报|登记)(?:一下|吧|的)?[!！。.~\s]*"
)
# 「收到了吗？」 asks; it confirms nothing.
ASKS = re.compile(r"[吗没？?]|没有")
HELP_COMMAND = Command("show_help", None, "")
# What `Dispatcher.warm_up` reads at start: a report and two commands.
WARM_UP = (
    "【问题上报】\n类型：散煤\n地点：一村3号楼东侧\n描述：居民烧煤取暖，冒黑烟",
    "办结 112201 已处理",
    "帮助",
)
# A reply to 「请补充问题地点」 is short; longer place-like messages are chat.
PLACE_REPLY_LIMIT = 60


def route(inbound: Inbound, runtime: Runtime, router: Router = ROOT) -> Route | None:
    """What to do with a message, or None for ordinary chat (which gets no reply)."""
    if inbound.attachment is not Attachment.NONE:
        return Route(evidence.photo, tentative=True)
    meaning = understand(
        inbound.text, runtime.policy.categories, router.grammar, mentions_bot=inbound.mentions_bot
    )
    if meaning is None or meaning.help:
        # the message as read: a quote set apart (「…」 then 收到 is a receipt), emoji codes out
        text = body_of(inbound.text).strip()
        if (
            ACKNOWLEDGED.fullmatch(text)
            and not ASKS.search(text)
            and not _NOT_A_RECEIPT.search(text)
        ):
            if meaning is None:
                return Route(alerts.acknowledge, tentative=True)
            # 「@网格通 收到」: the receipt, or help when no alert waits for it.
            return Route(lambda ctx: alerts.acknowledge(ctx) or help.show_help(ctx, HELP_COMMAND))
        if FILE_IT.fullmatch(text):
            # the answer to 「要登记为工单吗？」 (quoting it, or @网格通 上报), else chat or help
            if meaning is None:
                return Route(reports.file_passing, tentative=True)
            return Route(lambda ctx: reports.file_passing(ctx) or help.show_help(ctx, HELP_COMMAND))
    if meaning is None:
        code = router.grammar.lone_code(inbound.text)
        if looks_like_place(inbound.text) and len(inbound.text) <= PLACE_REPLY_LIMIT:
            # the place the bot asked for (「东关花园A3栋楼下」 names no ticket A3)
            place = inbound.text
            return Route(
                lambda ctx: (
                    reports.place_given(ctx, place) or (tickets.unclear(ctx, code) if code else [])
                ),
                tentative=True,
            )
        if code is not None:  # 「112201 这个不归我们管」: say what can be done with it
            return Route(lambda ctx: tickets.unclear(ctx, code), tentative=True)
        return None
    if meaning.passing:
        passing, body = list(meaning.passing), body_of(inbound.text)
        return Route(lambda ctx: reports.in_passing(ctx, passing, body), tentative=True)
    if meaning.reports:
        found = list(meaning.reports)
        return Route(
            lambda ctx: reports.report(ctx, found),
            along=lambda session: reports.along(session, runtime, inbound, found),
        )
    command = meaning.command
    if command is None:
        return Route(lambda ctx: help.show_help(ctx, HELP_COMMAND))
    spec = router.by_name[command.verb]
    if command.code is None and spec.args.takes_code and not (spec.args.free and command.note):
        return Route(lambda ctx: [spec.usage_reply()])
    if command.more and spec.args.several:
        return Route(lambda ctx: several.each_code(ctx, spec, command))
    return Route(lambda ctx: spec.handler(ctx, command), slow=spec.slow)


def _origin(inbound: Inbound, person_id: int, name: str) -> Origin:
    return Origin(
        lookup.Actor(person_id, name), inbound.at, inbound.message_id, inbound.chat.room_topic
    )


class _Refused(Exception):
    """A handler refused the message (or failed): its writes are undone, these replies go."""

    def __init__(self, replies: list[Reply]) -> None:
        super().__init__()
        self.replies = replies


# Called in a message's transaction with the ids of the replies it queued: claims those
# that may go out at once, so they are sent the moment it commits.
Take = Callable[[Session, list[int]], list[Outgoing]]


@dataclass(frozen=True)
class Handled:
    """What one message queued, and which of those were claimed for sending now."""

    queued: list[int]
    sending: list[Outgoing]
    # A slow command not handled yet: call it (with `take` and `abandon`) beside the stream.
    later: Later | None = None


# Handling a message, given `take` and `abandon` (see `Dispatcher.handle_taking`).
Later = Callable[[Take | None, Callable[[list[Outgoing]], None] | None], Handled]


@dataclass(frozen=True)
class Dispatcher:
    runtime: Runtime
    router: Router = ROOT
    # A message's commit need not wait for the disk: whatever it acknowledges goes out
    # through the outbox, and a send starts with a commit that does wait (the claim's start
    # mark), flushing this one with it. So a report that got its reply is on disk, power
    # loss included. A reply begun in the message's own transaction (`take`) makes that
    # commit the one that waits.
    sync_later: bool = True

    def warm_up(self) -> None:
        """Read a report and two commands once, touching no database: the reader builds
        its tables and caches now, at start, not under the first message after a restart
        (0.3 s here, while the messages behind it wait in memory)."""
        for text in WARM_UP:
            understand(text, self.runtime.policy.categories, self.router.grammar)

    def handle(self, inbound: Inbound) -> list[int]:
        """Handle one message; return the ids of the outbox messages it queued."""
        return self.handle_taking(inbound, None).queued

    def handle_taking(
        self,
        inbound: Inbound,
        take: Take | None,
        abandon: Callable[[list[Outgoing]], None] | None = None,
        *,
        beside: bool = False,
    ) -> Handled:
        """Handle one message; `take` may claim and begin its replies for sending at once.
        `abandon` gets those an attempt began if handling it fails in the end (an attempt
        may have committed them, its answer lost): certainly not sent.

        A slow command (a 月报 over a province) with `beside` is not handled here: the
        result's `later` handles it, so the transport can go on with the next message.
        """
        inbound = clean_inbound(inbound)
        found = route(inbound, self.runtime, self.router)
        if found is None:
            return Handled([], [])
        if found.slow and beside:
            return Handled([], [], later=functools.partial(self._handle_slow, inbound, found))
        if found.slow:
            return self._handle_slow(inbound, found, take, abandon)
        return self._handle_found(inbound, found, take, abandon)

    def _handle_slow(
        self,
        inbound: Inbound,
        found: Route,
        take: Take | None,
        abandon: Callable[[list[Outgoing]], None] | None,
    ) -> Handled:
        """A slow command: its long read first, then the message's own transaction."""
        return self._handle_found(inbound, self._read_first(inbound, found), take, abandon)

    def _handle_found(
        self,
        inbound: Inbound,
        found: Route,
        take: Take | None,
        abandon: Callable[[list[Outgoing]], None] | None,
    ) -> Handled:
        taken: list[Outgoing] = []
        try:
            # Safe to repeat, as a message id is recorded at most once.
            return again_if_disconnected(
                lambda: self._handle(inbound, found, take, taken), f"message {inbound.message_id}"
            )
        except BaseException:
            if taken and abandon is not None:
                abandon(list(taken))
            raise

    def _read_first(self, inbound: Inbound, found: Route) -> Route:
        """A slow command's replies, read in a transaction of their own that writes nothing:
        the message's own transaction (the claim, the replies) then takes a moment, and on
        SQLite no writer waits out the long read. Whatever stops the read (a stranger, a
        refusal, a failure) is left to the message's transaction to say, as for any command.
        """
        try:
            with self.runtime.transaction() as session:
                if not inbound.chat.is_private and not lookup.room_bound(
                    session, inbound.chat.room_topic or ""
                ):
                    return found
                identity = lookup.resolve_sender(session, inbound)
                person = identity.person
                if person is None or person.id is None or identity.ambiguous_name:
                    return found
                origin = _origin(inbound, person.id, person.name)
                session.rollback()  # a contact bound on the way is the message's to write
                replies = found.handler(
                    Context(session, self.runtime, inbound, origin, self.router)
                )
                session.rollback()
        except Exception:  # the message's transaction runs it again, and says why
            return found
        asker = origin.actor.person_id

        def answer(ctx: Context) -> list[Reply]:
            return replies if ctx.origin.actor.person_id == asker else found.handler(ctx)

        return Route(answer, tentative=found.tentative)

    def _handle(
        self, inbound: Inbound, found: Route, take: Take | None, taken: list[Outgoing]
    ) -> Handled:
        """One attempt. `taken`: what an earlier attempt claimed and began; if that attempt
        did commit (its commit's answer was lost), those go back to the delivery pass, as
        they were certainly not sent."""
        with self.runtime.transaction(
            sync_later=self.sync_later, may_sync_now=take is not None
        ) as session:
            try:
                queued = self._queue(session, inbound, found)
            except _Refused as refused:
                # Nothing the handler wrote stays: the whole transaction goes, and the
                # message is recorded again with only the refusal (no savepoint, which
                # would cost every message two more round trips).
                session.rollback()
                queued = self._queue(session, inbound, found, refused.replies)
            if not queued and taken:
                unbegin(session, taken, self.runtime.clock.now())
                return Handled([m.outbox_id for m in taken], [])
            sending = take(session, queued) if take is not None and queued else []
            taken[:] = sending
        return Handled(queued, sending)

    def _queue(
        self, session: Session, inbound: Inbound, found: Route, refusal: list[Reply] | None = None
    ) -> list[int]:
        """Record the message and queue its replies: the handler's, or `refusal` instead."""
        along = found.along(session) if found.along is not None and refusal is None else None
        try:
            sighting = intake.first_sight(session, inbound, along)
        except DBAPIError as exc:
            if along is None or exc.connection_invalidated:
                raise
            # The read that came with the claim failed, not the claim: without it, as
            # before, so the handler reads (and a failure there is refused in words).
            log.exception("claim with a read failed on message %s", inbound.message_id)
            session.rollback()
            sighting = intake.first_sight(session, inbound)
        if sighting is None:
            log.info("duplicate message %s ignored", inbound.message_id)
            return []
        directory.note_version(session, sighting.roster_version)
        if not inbound.chat.is_private and not lookup.room_bound(
            session, inbound.chat.room_topic or ""
        ):
            log.info(
                "message %s from unbound room %r ignored",
                inbound.message_id,
                inbound.chat.room_topic,
            )
            return []
        identity = lookup.resolve_sender(session, inbound)
        person = identity.person
        if person is None and found.tentative:
            return []  # a photo or a place asks nothing: from someone unknown it is chat
        if identity.ambiguous_name:
            return self._ambiguous(session, inbound, identity.ambiguous_name)
        if person is None or person.id is None:
            return self._refuse(session, inbound)
        origin = _origin(inbound, person.id, person.name)
        ctx = Context(session, self.runtime, inbound, origin, self.router)
        replies = refusal if refusal is not None else self._run(found.handler, ctx)
        drafts = [
            Draft(
                key=f"reply:{inbound.message_id}:{n}",
                text=reply.text,
                room_topic=reply.room_topic or inbound.chat.room_topic,
                private_person_id=(
                    person.id if inbound.chat.is_private and not reply.room_topic else None
                ),
                mentions=reply.mentions,
                priority=PRIORITY_REPLY,
                attachment=reply.attachment,
            )
            for n, reply in enumerate(replies)
        ]
        return enqueue(session, drafts, inbound.at)

    def _run(self, handler: Handler, ctx: Context) -> list[Reply]:
        try:
            return handler(ctx)
        except UserError as exc:
            raise _Refused([Reply(exc.text)]) from exc
        except DBAPIError as exc:
            if exc.connection_invalidated:  # not the handler's fault: handled again
                raise
            log.exception("handler failed on message %s", ctx.inbound.message_id)
            raise _Refused([Reply(texts.SORRY)]) from exc
        except Exception as exc:
            log.exception("handler failed on message %s", ctx.inbound.message_id)
            raise _Refused([Reply(texts.SORRY)]) from exc

    def _refuse(self, session: Session, inbound: Inbound) -> list[int]:
        """One polite refusal a day per stranger and group, so strangers cannot make it spam."""
        day = self.runtime.policy.local(inbound.at).date().isoformat()
        if inbound.chat.is_private:
            return []
        draft = Draft(
            key=f"refuse:{inbound.sender_id}:{inbound.chat.room_topic}:{day}",
            text=texts.NOT_IN_ROSTER,
            room_topic=inbound.chat.room_topic,
        )
        return enqueue(session, [draft], inbound.at)

    def _ambiguous(self, session: Session, inbound: Inbound, name: str) -> list[int]:
        """Tell the sender and ask the admins to add a 微信号; once a day per name."""
        day = self.runtime.policy.local(inbound.at).date().isoformat()
        drafts = [
            Draft(
                key=f"ambiguous:{inbound.sender_id}:{day}",
                text=intake_texts.AMBIGUOUS_MEMBER.format(name=name),
                room_topic=inbound.chat.room_topic,
            )
        ]
        for topic, admins in lookup.admin_rooms(session):
            drafts.append(
                Draft(
                    key=f"ambiguous-admin:{name}:{topic}:{day}",
                    text=intake_texts.AMBIGUOUS_ADMIN.format(
                        name=name, room=inbound.chat.room_topic or "私聊", id=inbound.sender_id
                    ),
                    room_topic=topic,
                    mentions=tuple(admins),
                )
            )
        return enqueue(session, drafts, inbound.at)
