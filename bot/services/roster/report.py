"""What a roster import tells the office: counts, the people it changes by name, problems.

These types are the contract of `importer.preview_roster` and `importer.apply_roster` (the
office console shows them) and of `gridbot import-roster` (which prints `text()`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from bot.core.errors import UserError
from bot.services.roster import texts

MAX_LISTED = 50


class RosterError(UserError):
    """The roster cannot be imported; the text says what to fix. Nothing was written."""


@dataclass(frozen=True)
class Post:
    """A person's place in one grid: the grid's code and name, and the 职务 as the roster
    writes it (网格长, 网格员, …)."""

    grid_code: str
    grid_name: str
    role: str

    def shown(self) -> str:
        return texts.ROSTER_POST.format(grid=self.grid_name, code=self.grid_code, role=self.role)


@dataclass(frozen=True)
class PersonChange:
    """One person's membership that the import adds (`before` None), changes (both set: a new
    职务 in the same grid, or a move to another grid) or removes (`after` None).

    `line` is the file row that gives `after` (None for a removal); `new_person` is True when
    the import also creates the person.
    """

    name: str
    before: Post | None
    after: Post | None
    line: int | None = None
    new_person: bool = False

    def shown(self) -> str:
        if self.before is None and self.after is not None:
            return texts.ROSTER_ADDED_LINE.format(name=self.name, post=self.after.shown())
        if self.after is None and self.before is not None:
            return texts.ROSTER_REMOVED_LINE.format(name=self.name, post=self.before.shown())
        assert self.before is not None and self.after is not None
        if self.before.grid_code == self.after.grid_code:
            after = self.after.role
        else:
            after = self.after.shown()
        return texts.ROSTER_CHANGED_LINE.format(
            name=self.name, before=self.before.shown(), after=after
        )


@dataclass(frozen=True)
class RowProblem:
    """Why a row keeps the file from being imported; `line` is the row a spreadsheet shows."""

    line: int
    text: str

    def shown(self) -> str:
        return texts.ROSTER_ERROR_LINE.format(line=self.line, text=self.text)


@dataclass(frozen=True)
class RosterReport:
    """What an import changed (or, for a dry run or preview, would change).

    The counts are of grids, persons and memberships (职务, one per person per grid); the
    lists name the people. A move from one grid to another counts as one membership removed
    and one added, and is listed once in `changed`. `problems` is filled only by a preview of
    a file that cannot be imported; then every count is 0 and the lists are empty.
    """

    grids_added: int
    grids_updated: int
    grids_unchanged: int
    grids_not_in_file: int
    persons_added: int
    persons_updated: int
    memberships_added: int
    memberships_changed: int
    memberships_removed: int
    rooms: int
    dry_run: bool = False
    added: tuple[PersonChange, ...] = ()
    changed: tuple[PersonChange, ...] = ()
    removed: tuple[PersonChange, ...] = ()
    problems: tuple[RowProblem, ...] = ()
    skipped_rows: int = 0  # rows above the header (titles), not read
    ignored_columns: tuple[str, ...] = ()  # header cells naming no known column (序号, 备注)
    filled_rows: tuple[int, ...] = ()  # rows whose blank grid cells took the row above's

    @property
    def ok(self) -> bool:
        """True when the file can be imported (always, for a report of a finished import)."""
        return not self.problems

    def summary(self) -> str:
        """A short Chinese report for the admin who ran the import: counts and file notes."""
        if self.problems:
            lines = [texts.ROSTER_ERRORS.format(count=len(self.problems))]
        else:
            head = texts.ROSTER_CHECKED if self.dry_run else texts.ROSTER_IMPORTED
            counts = {k: v for k, v in asdict(self).items() if isinstance(v, int)}
            lines = [head + texts.ROSTER_COUNTS.format(**counts)]
            if self.grids_not_in_file:
                lines.append(texts.ROSTER_NOT_IN_FILE.format(count=self.grids_not_in_file))
            lines.append(texts.ROSTER_ROOMS.format(count=self.rooms))
        if self.skipped_rows:
            lines.append(texts.ROSTER_SKIPPED_ROWS.format(count=self.skipped_rows))
        if self.ignored_columns:
            lines.append(texts.ROSTER_IGNORED.format(names="、".join(self.ignored_columns)))
        if self.filled_rows:
            rows = "、".join(str(n) for n in self.filled_rows[:MAX_LISTED])
            more = "等" if len(self.filled_rows) > MAX_LISTED else ""
            lines.append(texts.ROSTER_FILLED.format(count=len(self.filled_rows), rows=rows + more))
        return "\n".join(lines)

    def details(self, limit: int = MAX_LISTED) -> list[str]:
        """The people by name (and each problem by row), each list cut at `limit` lines."""
        lines: list[str] = []
        sections: Sequence[tuple[str, Sequence[PersonChange]]] = (
            (texts.ROSTER_ADDED, self.added),
            (texts.ROSTER_CHANGED, self.changed),
            (texts.ROSTER_REMOVED, self.removed),
        )
        for title, items in sections:
            if items:
                lines.append(title.format(count=len(items)))
                lines += [texts.ROSTER_ITEM.format(text=i.shown()) for i in items[:limit]]
            if len(items) > limit:
                lines.append(texts.ROSTER_MORE.format(count=len(items) - limit))
        # The summary's first line already says how many problems there are.
        lines += [p.shown() for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(texts.ROSTER_MORE_ERRORS.format(count=len(self.problems) - limit))
        return lines

    def text(self, limit: int = MAX_LISTED) -> str:
        """`summary()` followed by `details()`: what `gridbot import-roster` prints."""
        return "\n".join([self.summary(), *self.details(limit)])
