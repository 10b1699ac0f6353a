"""Replies from a case-flow outcome: the answer here, the notices where people must act."""

from __future__ import annotations

from bot.core.messages import Reply
from bot.services.tickets import texts as ticket_texts
from bot.services.tickets.ledger import TicketInfo
from bot.services.tickets.notices import Outcome
from handlers.context import Context


def marked(info: TicketInfo, text: str) -> str:
    """Every message about a ticket under 督办 carries 【督办】."""
    mark = ticket_texts.SUPERVISED_MARK
    return mark + text if info.supervised and not text.startswith(mark) else text


def said(ctx: Context, info: TicketInfo, text: str, mentions: tuple[int, ...] = ()) -> Reply:
    return Reply(marked(info, text), mentions)


def outcome_replies(ctx: Context, outcome: Outcome) -> list[Reply]:
    """The answer in this chat, then one message per other group that must act.

    A notice for this very group replaces the plain answer (it says the same, with the
    mention), so nobody reads it twice; `Outcome.extra` lines are for the sender either way.
    """
    here = ctx.inbound.chat.room_topic
    local = [n for n in outcome.notices if n.room_topic is None or n.room_topic == here]
    others = [n for n in outcome.notices if n not in local]
    texts = [n.text for n in local] or [outcome.reply]
    mentions = tuple(dict.fromkeys(m for n in local for m in n.mentions))
    first = Reply(marked(outcome.info, "\n".join([*texts, *outcome.extra])), mentions)
    return [
        first,
        *(Reply(marked(outcome.info, n.text), n.mentions, n.room_topic) for n in others),
    ]


def merged(replies: list[Reply]) -> list[Reply]:
    """One message per group (files stay apart), in the order the groups first appear."""
    rooms: dict[str | None, list[Reply]] = {}
    files: list[Reply] = []
    for reply in replies:
        if reply.attachment is not None:
            files.append(reply)
        else:
            rooms.setdefault(reply.room_topic, []).append(reply)
    joined = [
        Reply(
            "\n\n".join(r.text for r in group),
            tuple(dict.fromkeys(m for r in group for m in r.mentions)),
            room,
        )
        for room, group in rooms.items()
    ]
    return [*joined, *files]
