"""One command for several tickets: 「办结 112201 112202」, 「112201、112202 已核查」.

Each ticket is handled as if it came alone, inside a savepoint of the message's transaction:
a ticket the command cannot apply to (not found, wrong state, not allowed) is refused in words
and leaves nothing behind, while the others go ahead. The answers are joined into one message
per group, so three tickets do not make three messages.
"""

from __future__ import annotations

from dataclasses import replace

from bot.core.errors import UserError
from bot.core.messages import Reply
from bot.services.understanding.commands import Command
from handlers import texts
from handlers.context import Context
from handlers.replies import merged
from handlers.router import CommandSpec

# More tickets than anyone closes in one message; the rest are named, not handled.
MOST = 20


def each_code(ctx: Context, spec: CommandSpec, command: Command) -> list[Reply]:
    """The command applied to each of its tickets, in the order written."""
    replies: list[Reply] = []
    codes = (command.code, *command.more)
    for code in codes[:MOST]:
        try:
            with ctx.session.begin_nested():
                replies += spec.handler(ctx, replace(command, code=code, more=()))
        except UserError as refused:
            replies.append(Reply(refused.text))
    if len(codes) > MOST:
        left = "、".join(c for c in codes[MOST:] if c)
        replies.append(Reply(texts.TOO_MANY_CODES.format(most=MOST, codes=left)))
    return merged(replies)
