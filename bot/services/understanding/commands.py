"""Reading chat commands (受理 112201, 帮助 …) with a vocabulary the command router supplies.

The verbs are not listed here: each command is declared once next to its handler
(`handlers.router`), and the router builds one `Grammar` from those declarations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from bot.services.understanding._text import clean, fold, trim

_CODE = re.compile(r"\s*(?:工单)?\s*(?P<code>[0-9A-Za-z]*[0-9][0-9A-Za-z]*)(?![0-9A-Za-z])")
# "受理112201" (no space) is common, but "销号2件，办结3件" is a progress note, not a command;
# counts are short, ticket codes are not.
_MIN_GLUED_CODE = 4
_BARE_END = re.compile(r"[\s?？!！。.]*")
# A ticket code written anywhere: 5 to 8 digits (codes are MMDD plus a number), or letters and
# digits together (AB12CD, ABC-12). Years, counts, times and phone numbers are not codes.
_ANY_CODE = re.compile(
    r"(?<![0-9A-Za-z-])(?:\d{5,8}|[A-Za-z]+-?\d[0-9A-Za-z-]*|\d+[A-Za-z][0-9A-Za-z-]*)(?![0-9A-Za-z])"
)
_CODE_WORD = re.compile(r"工单|编号|单号")
# Codes that open a note, one or more, parted by spaces, commas, 、 or 和.
_MORE_CODES = re.compile(rf"(?:[\s,、和及/／]*(?:工单)?(?:{_ANY_CODE.pattern}))+[\s,、。.]*")
# Under a quoted bot message, a short reply may start with 收到 before the verb (收到，受理).
_SHORT_REPLY = 20
_QUESTION = re.compile(r"吗|？|\?|没有|了没|呢")
# A reply that starts with a verb asks a question only when it ends like one.
_ASKS = re.compile(r"(?:吗|呢|了没有?|[?？])[\s。.!！]*$")
# A message this short (besides its code) with no command in it asks what to do.
_LONE_CODE_TEXT = 24
# Thanks, acknowledgements and remarks about a ticket that ask the bot nothing.
_SAYS_NOTHING = re.compile(
    r"辛苦|谢谢|感谢|好的|明白|知道了|了解|假的|别管|注意|看过|去过|ok|👍", re.IGNORECASE
)
# A question this short (besides its code) about a ticket asks how it stands.
_SHORT_QUESTION = 12
# 「收到」 also answers alerts and says a message was read: it accepts a ticket only with the
# code written beside it (收到 112201, 112201收到), never one taken from a quoted message.
_WRITTEN_CODE_ONLY = frozenset({"收到"})
# 「112203 还没完成」「未处理」「处理不了」 say a thing was not done: never the deed itself.
_NOT_BEFORE = re.compile(r"(?:没有?|未|不|无法|没法|尚未|别|勿)(?:能|要|用|再|必)?\s*$")
_NOT_AFTER = re.compile(r"\s*(?:不了|不好|不完|不动)")
# 「什么时候能搞定」「争取明天整改到位」「周五前整改到位」「等他们弄完了」: a plan, not the deed.
_NOT_YET_BEFORE = re.compile(
    r"(?:什么时候|啥时候|何时|多久|争取|尽快|尽早|抓紧|明天|明日|后天|下周|月底前|"
    r"周[一二三四五六日天]前|\d+[号日]前|才能|才|能|要|会|将|准备|计划|需要|应该|得|等[^\s,]{0,4}|"
    # 「商户说已经整改了」「本来说已经取缔了」: someone's word for it, not the deed
    r"说|听说|本来)\s*$"
)
_NOT_YET_AFTER = re.compile(r"\s*(?:了?一半|了?一部分|没有?|了?吗|了吧|了没|呢)")
_NOT_DONE = re.compile(
    r"(?:没有?|未|尚未|无法|没法)能?\s*(?:处理|完成|整改|办|解决|处置|落实)"
    r"|(?:处理|完成|整改|解决|处置)不(?:了|好|完)"
)


@dataclass(frozen=True)
class Verb:
    """A word that starts a command; `takes_code` when a ticket code follows it."""

    word: str
    command: str
    takes_code: bool = True
    # The command's own words (办结), as opposed to phrases that say what was done (已处理).
    command_words: tuple[str, ...] = ()
    # Counts only at the start of a message (交办, 延期: their arguments have an order).
    leading_only: bool = False
    # What may follow a verb without a code (统计 本月); None: it must stand alone.
    tail: re.Pattern[str] | None = None
    # The tail is free text (巡查打卡 东关街正常): only after a space or a colon.
    tail_needs_sep: bool = False
    # Text may follow without a code (交办 一村二片 散煤 …).
    free: bool = False
    # Only as a whole word: the end, a blank or a mark after it (申诉不成立, not 申诉成立与否).
    whole: bool = False


@dataclass(frozen=True)
class Command:
    """A command as read: `verb` is the command's name ("accept", "help", …)."""

    verb: str
    code: str | None
    note: str
    # The verb or phrase it was said with (办结, 已处理, 本月统计), when at the start: how it
    # was worded, not what it means, so two commands that mean the same compare equal.
    word: str = field(default="", compare=False)
    # More tickets the same command is for (「办结 112201 112202」, 「112201、112202已办结」).
    more: tuple[str, ...] = ()


class Grammar:
    """The commands a deployment understands, compiled once into one pattern."""

    def __init__(self, verbs: Iterable[Verb], asked: str | None = None) -> None:
        """`asked`: the command a question about a ticket is (「112201处理好了吗」 asks how
        it stands; it reports nothing done). None: such a question is read as it is worded."""
        self._verbs = {verb.word: verb for verb in verbs}
        self._asked = asked
        # Longest first, so 「补充照片」 wins over 「照片」.
        words = "|".join(re.escape(w) for w in sorted(self._verbs, key=len, reverse=True))
        self._head = re.compile(
            rf"\s*(?:@\S+\s+)*(?P<tag>#?)\s*(?P<verb>{words})(?P<sep>[^\S\n]*:|\s+|)"
        )
        self._anywhere = re.compile(words)

    def parse(self, text: str) -> Command | None:
        """The command in a chat message (see `read`), after folding traditional characters
        and setting a WeChat quote apart: the quote can supply the code."""
        cleaned = clean(text)
        return self.read(cleaned.body, cleaned.quoted)

    def _phrase(self, command: Command) -> bool:
        """Said with a phrase (已处理), not the command's own words (办结)."""
        verb = self._verbs.get(command.word)
        return verb is not None and verb.word not in verb.command_words

    def takes_text(self, command: Command) -> bool:
        """A command whose text may stand without a code (交办 一村二片 类型：… 地点：…)."""
        return any(v.free for v in self._verbs.values() if v.command == command.verb)

    def leading(self, body: str, quoted: str | None = None) -> Command | None:
        """The command when a cleaned message starts with a verb (``更正 112201 …``).

        Under a quoted ticket, a short number after the verb (「延期 3天 …」) is no code.
        """
        command = self._at_start(body)
        if (
            command is not None
            and command.code is not None
            and len(command.code) < _MIN_GLUED_CODE
            and quoted
            and _ANY_CODE.search(fold(quoted))
        ):
            return None
        return self._more_codes(self._unless_asked(command, self._asks(fold(body))))

    def lone_code(self, text: str) -> str | None:
        """The one ticket code in a short message that no command was read from (「112201 这个
        不归我们管」): the bot asks what is meant, if such a ticket exists. None otherwise."""
        cleaned = clean(text)
        folded = fold(cleaned.body)
        codes = [m for m in _ANY_CODE.finditer(folded) if not _is_phone(m.group())]
        if len(codes) != 1 or len(folded.strip()) - len(codes[0].group()) > _LONE_CODE_TEXT:
            return None
        if _SAYS_NOTHING.search(folded):  # 「112201 辛苦了」「…这个工单是假的，别管」
            return None
        return codes[0].group().upper()

    def _asks(self, folded: str) -> bool:
        """The text ends as a question, and questions about a ticket have a command."""
        return self._asked is not None and _ASKS.search(folded) is not None

    def _unless_asked(self, command: Command | None, asks: bool) -> Command | None:
        """「已处理 112201 了吗」 asks how the ticket stands: a phrase saying what was done,
        ending as a question (`asks`), is the question (`asked`), not the deed."""
        if asks and command is not None and command.code is not None and self._phrase(command):
            return Command(self._asked or "", command.code, "")
        return command

    def read(self, text: str, quoted: str | None = None) -> Command | None:
        """The command in `text` in any common order, or None when it is chat (`_read`);
        further codes written after the first are the same command's (`Command.more`)."""
        return self._more_codes(self._read(text, quoted))

    def _more_codes(self, command: Command | None) -> Command | None:
        """Codes opening the note (「112202、112203 已清理」) when the verb's arguments have no
        order: they are more tickets, not the note."""
        verb = self._verbs.get(command.word) if command is not None else None
        if command is None or command.code is None or verb is None or verb.leading_only:
            return command
        more = _MORE_CODES.match(fold(command.note))
        if more is None:
            return command
        codes = dict.fromkeys(c.upper() for c in _ANY_CODE.findall(more.group()))
        codes.pop(command.code, None)  # 「办结 ab123 AB123」 names one ticket
        note = trim(command.note[more.end() :]) or ""
        if not note and verb.word not in verb.command_words:
            note = verb.word
        return replace(command, note=note, more=tuple(codes))

    def _read(self, text: str, quoted: str | None = None) -> Command | None:
        """The command in `text` in any common order, or None when it is chat.

        The verb first (``受理 112201``, see `_at_start`), or the code with a verb anywhere
        (``112201受理``, ``已办结 112201``, ``工单112201已办结，…``). With no code in the text,
        a quoted bot message can supply it when the text starts with a verb.
        """
        folded = fold(text)
        asks = self._asks(folded)
        command = self._unless_asked(self._at_start(text), asks)
        quote_codes = (
            [m for m in _ANY_CODE.finditer(fold(quoted)) if not _is_phone(m.group())]
            if quoted
            else []
        )
        if command is not None and command.code is not None:
            # 「申请延期 3天 …」 under a quoted ticket: 3 is no code, the quote has it.
            if not (quote_codes and len(command.code) < _MIN_GLUED_CODE):
                return command
            command = None
        codes = [m for m in _ANY_CODE.finditer(folded) if not _is_phone(m.group())]
        if codes:
            found = self._verb_anywhere(folded, after_code=codes[0])
            if found is not None:
                verb, at, end = found
                code = codes[0]
                if asks:  # 「112201已处理了吗」 asks how it stands; nothing was done
                    return Command(self._asked or "", code.group().upper(), "")
                note = _note(text, [(code.start(), code.end()), (at, end)], verb)
                return Command(verb.command, code.group().upper(), note, word=verb.word)
            short = len(folded) - len(codes[0].group()) <= _SHORT_QUESTION
            if short and (asks or self._negated_anywhere(folded)):
                # 「112201 处理了没有」: a short question about a ticket, whatever its words;
                # 「112201 还没完成」 says nothing was done: both are answered with how it stands
                return Command(self._asked or "", codes[0].group().upper(), "")
        if (command is None or command.code is None) and quote_codes:
            head = self._head.match(folded)
            verb_at: tuple[Verb, int, int] | None
            if head is not None and head.group("verb") not in _WRITTEN_CODE_ONLY:
                verb_at = (self._verbs[head.group("verb")], head.start("verb"), head.end("verb"))
                question = _ASKS.search(folded)  # a reason may well say 没有
            elif len(folded) <= _SHORT_REPLY:
                # 「收到，受理」: 收到 takes no code from a quote, the verb after it does
                verb_at = self._verb_anywhere(folded, statement_ok=False, skip=_WRITTEN_CODE_ONLY)
                question = _QUESTION.search(folded)
            else:
                verb_at, question = None, None
            if verb_at is not None and not question:
                verb, at, end = verb_at
                if verb.takes_code and verb.word not in _WRITTEN_CODE_ONLY:
                    note = _note(text, [(at, end)], verb)
                    quoted_code = quote_codes[0].group().upper()
                    return Command(verb.command, quoted_code, note, word=verb.word)
        return command

    def _verb_anywhere(
        self,
        folded: str,
        *,
        after_code: re.Match[str] | None = None,
        statement_ok: bool = True,
        skip: frozenset[str] = frozenset(),
    ) -> tuple[Verb, int, int] | None:
        """A verb taking a code anywhere in the text (the first but those in `skip`).

        A verb whose arguments have an order (延期, 申诉) counts only right after a code that
        opens the message (「112204申请延期2天…」). With `statement_ok` False, a command word
        followed by 了 is a statement (「终于销号了」), not a command.
        """
        match = next(
            (
                m
                for m in self._anywhere.finditer(folded)
                if m.group() not in skip
                and not _happened(folded, m, self._verbs[m.group()])
                and not self._misplaced(folded, m, after_code)
            ),
            None,
        )
        if match is None:
            return None
        verb = self._verbs[match.group()]
        if not verb.takes_code or _negated(folded, match.start(), match.end()):
            return None
        if verb.leading_only:
            if after_code is None or folded[: after_code.start()].strip():
                return None
            if not _right_after(folded, after_code, match.start()):
                return None
        if (
            not statement_ok
            and verb.word in verb.command_words
            and folded[match.end() : match.end() + 1] == "了"
        ):
            return None
        return verb, match.start(), match.end()

    def _misplaced(
        self, folded: str, match: re.Match[str], after_code: re.Match[str] | None
    ) -> bool:
        """A decision (申诉不成立) anywhere but right after the code that opens the message,
        or not as a whole word: passed over, the next verb may be the command (「120401 上次
        申诉无效，这次已经整改到位」 is resolved)."""
        verb = self._verbs[match.group()]
        if not verb.whole:
            return False
        if not _WHOLE_END.match(folded, match.end()):
            return True
        return after_code is None or not _right_after(folded, after_code, match.start())

    def _negated_anywhere(self, folded: str) -> bool:
        """A verb in the text is said not done (「还没完成」「处理不了」)."""
        return self._asked is not None and (
            _NOT_DONE.search(folded) is not None
            or any(_negated(folded, m.start(), m.end()) for m in self._anywhere.finditer(folded))
        )

    def _at_start(self, text: str) -> Command | None:
        """The command in `text`, or None when it is chat.

        Tolerates ``#受理``, a colon after the verb, leading @mentions, full-width text, and a
        code glued to the verb (「受理112201」). Codes are upper-cased and half-width. A verb
        alone, or ``#受理`` / ``受理：`` followed by text without a code, gives code None (the
        handler answers with usage); a bare verb followed by other words (「受理 一下」
        「受理了吗」) is chat. A command without a code (帮助) must stand alone.
        """
        folded = fold(text)
        head = self._head.match(folded)
        if head is None:
            return None
        verb = self._verbs[head.group("verb")]
        if not verb.takes_code:
            if _BARE_END.fullmatch(folded, head.end()):
                return Command(verb.command, None, "", word=verb.word)
            rest = _BARE_END.sub("", folded[head.end() :].strip())
            if verb.tail is None or not verb.tail.fullmatch(rest):
                return None
            if verb.tail_needs_sep and not head.group("sep"):
                return None
            note = trim(text[head.end() :]) if verb.tail_needs_sep else rest
            return Command(verb.command, None, note or rest)
        code_match = _CODE.match(folded, head.end())
        code = code_match.group("code").upper() if code_match else None
        if code is None and verb.word not in verb.command_words:
            return None  # "已处理", "查一下" alone are chat; only 办结 alone asks for usage
        note = trim(text[code_match.end() if code_match else head.end() :]) or ""
        if code is not None and not note and verb.word not in verb.command_words:
            note = verb.word  # 「已办结 112201」: the phrase says what was done
        sep, rest = head.group("sep"), folded[head.end() :].strip()
        if rest and not sep and (code is None or len(code) < _MIN_GLUED_CODE):
            return None
        if code is None and note and not (head.group("tag") or ":" in sep or verb.free):
            return None
        return Command(verb=verb.command, code=code, note=note, word=verb.word)


def _right_after(folded: str, code: re.Match[str], start: int) -> bool:
    """Whether `start` comes right after the code, nothing but blanks and commas between."""
    return not folded[code.end() : start].strip(" ,，")


def _happened(folded: str, match: re.Match[str], verb: Verb) -> bool:
    """The words tell what happened to the ticket, not what is done now: 「又被退回了」, 「昨天
    受理的」 (a command's own word before 的), 「已经整改过一次」. The next verb may still be
    one (「120401 被退回后已整改」)."""
    before = folded[match.start() - 1 : match.start()]
    after = folded[match.end() :]
    return (
        before == "被"
        or (match.group() in verb.command_words and after.startswith("的"))
        or _AGAIN.match(after) is not None
    )


_AGAIN = re.compile(r"过[一两二三几\d]次")
_WHOLE_END = re.compile(r"$|[\s,，。.;；!！、:：]")


def _negated(folded: str, start: int, end: int) -> bool:
    """The words at `start:end` are said not done: 未完成, 还没处理, 处理不了; or not yet:
    什么时候能搞定, 争取明天整改到位, 等他们弄完了, 已经拆了一半, 搞定没有."""
    return (
        _NOT_BEFORE.search(folded, max(0, start - 4), start) is not None
        or _NOT_AFTER.match(folded, end) is not None
        or _NOT_YET_BEFORE.search(folded, max(0, start - 6), start) is not None
        or _NOT_YET_AFTER.match(folded, end) is not None
    )


def _is_phone(token: str) -> bool:
    return len(token) == 11 and token.isdigit() and token.startswith("1")


# 「@网格通 112201 已处理完毕」: the mention is no part of what was done.
# WeChat ends a mention with a blank (U+2005): 「@李站长请核查」 written without one is text.
_MENTION = re.compile(r"@[^\s@]+\s")
_PARTICLES = re.compile(r"[了啦的呢吧啊哈。.!！~，,\s]*")


def _note(text: str, cuts: list[tuple[int, int]], verb: Verb) -> str:
    """What the sender wrote besides the code and the verb; a phrase that says what was done
    (已处理, 已整改) is the note when nothing else is written."""
    kept = list(text)
    for start, end in cuts:
        kept[start:end] = " " * (end - start)
    note = trim(_MENTION.sub(" ", _CODE_WORD.sub(" ", "".join(kept), count=1))) or ""
    if _PARTICLES.fullmatch(note):  # 「112201已经拆除了」: the 了 says nothing
        note = ""
    if not note and verb.word not in verb.command_words:
        note = verb.word
    return note
