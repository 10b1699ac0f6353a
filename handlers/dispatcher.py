"""The dispatcher: one inbound message in, replies into the outbox, in one transaction.

Nothing is half-written: the handler runs inside a savepoint, so a refused command or a bug
leaves no ticket behind, while the message id and the reply are still recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from bot.core import texts
from bot.core.errors import UserError
from bot.core.messages import Inbound, Reply
from bot.services.intake import inbound as intake
from bot.services.outbox.queue import PRIORITY_REPLY, Draft, enqueue
from bot.services.roster import lookup as directory
from bot.services.runtime import Services
from bot.services.tickets.ledger import Origin
from bot.services.understanding.reports import Command, ParsedReport, parse_command, parse_report
from handlers import report as report_handler
from handlers import ticket_commands
from handlers.context import Context

log = logging.getLogger(__name__)

Handler = Callable[[Context], list[Reply]]

COMMANDS: dict[str, Callable[[Context, Command], list[Reply]]] = {
    "accept": ticket_commands.accept,
    "resolve": ticket_commands.resolve,
    "close": ticket_commands.close,
    "query": ticket_commands.query,
    "attach": ticket_commands.attach,
}


def route(inbound: Inbound, services: Services) -> Handler | None:
    """The handler for a message, or None for ordinary chat (which gets no reply)."""
    parsed: ParsedReport | None = parse_report(inbound.text, services.policy.categories)
    if parsed is not None:
        report = parsed
        return lambda ctx: report_handler.report(ctx, report)
    command = parse_command(inbound.text)
    if command is None:
        return None
    if command.code is None:
        return lambda ctx: ticket_commands.usage(command)
    return lambda ctx: COMMANDS[command.verb](ctx, command)


@dataclass(frozen=True)
class Dispatcher:
    services: Services

    def handle(self, inbound: Inbound) -> list[int]:
        """Handle one message; return the ids of the outbox messages it queued."""
        handler = route(inbound, self.services)
        if handler is None:
            return []
        with self.services.transaction() as session:
            if not intake.first_sight(session, inbound):
                log.info("duplicate message %s ignored", inbound.message_id)
                return []
            if (
                not inbound.chat.is_private
                and directory.room_for_topic(session, inbound.chat.room_topic or "") is None
            ):
                log.info(
                    "message %s from unbound room %r ignored",
                    inbound.message_id,
                    inbound.chat.room_topic,
                )
                return []
            identity = directory.resolve_sender(session, inbound)
            person = identity.person
            if identity.ambiguous_name:
                return self._ambiguous(session, inbound, identity.ambiguous_name)
            if person is None or person.id is None:
                return self._refuse(session, inbound)
            origin = Origin(
                directory.Actor(person.id, person.name),
                inbound.at,
                inbound.message_id,
                inbound.chat.room_topic,
            )
            replies = self._run(session, handler, Context(session, self.services, inbound, origin))
            drafts = [
                Draft(
                    key=f"reply:{inbound.message_id}:{n}",
                    text=reply.text,
                    room_topic=inbound.chat.room_topic,
                    private_person_id=person.id if inbound.chat.is_private else None,
                    mentions=reply.mentions,
                    priority=PRIORITY_REPLY,
                )
                for n, reply in enumerate(replies)
            ]
            return enqueue(session, drafts, inbound.at)

    def _run(self, session: Session, handler: Handler, ctx: Context) -> list[Reply]:
        savepoint = session.begin_nested()
        try:
            replies = handler(ctx)
        except UserError as exc:
            savepoint.rollback()
            return [Reply(exc.text)]
        except Exception:
            savepoint.rollback()
            log.exception("handler failed on message %s", ctx.inbound.message_id)
            return [Reply(texts.SORRY)]
        savepoint.commit()
        return replies

    def _refuse(self, session: Session, inbound: Inbound) -> list[int]:
        """One polite refusal a day per stranger and group, so strangers cannot make it spam."""
        day = self.services.policy.local(inbound.at).date().isoformat()
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
        day = self.services.policy.local(inbound.at).date().isoformat()
        drafts = [
            Draft(
                key=f"ambiguous:{inbound.sender_id}:{day}",
                text=texts.AMBIGUOUS_MEMBER.format(name=name),
                room_topic=inbound.chat.room_topic,
            )
        ]
        for topic, admins in directory.admin_rooms(session):
            drafts.append(
                Draft(
                    key=f"ambiguous-admin:{name}:{topic}:{day}",
                    text=texts.AMBIGUOUS_ADMIN.format(
                        name=name, room=inbound.chat.room_topic or "私聊", id=inbound.sender_id
                    ),
                    room_topic=topic,
                    mentions=tuple(admins),
                )
            )
        return enqueue(session, drafts, inbound.at)
