"""Column types that keep the database honest about time."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# SQLAlchemy's SQLite DATETIME storage format, positionally.
_SQLITE_FORMAT = "%04d-%02d-%02d %02d:%02d:%02d.%06d"


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in, timezone-aware UTC out.

    Naive datetimes are refused on the way in: SQLite drops offsets, so a naive value would be
    silently read back as UTC whatever zone it was meant in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"UTCDateTime needs an aware datetime, got {value!r}")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def direct_bind_processor(self, dialect: Dialect) -> Callable[[Any], Any]:
        """`process_bind_param` and then the dialect's own processing of the value, in one
        step: what `models.db.Prepared` binds on the chat path, where SQLAlchemy's two
        steps (and SQLite's string building from a dict) were a tenth of each statement.
        On SQLite the text is SQLAlchemy's storage format to the digit, so values compare
        and sort as every other statement writes them (`tests/models/test_types.py`)."""
        if dialect.name != "sqlite":
            return functools.partial(self.process_bind_param, dialect=dialect)

        # `process_bind_param`'s check, written again: calling it here cost 4% of a report's
        # instructions (bench/instructions.py), more than the one step saves.
        def to_text(value: Any) -> str | None:
            if value is None:
                return None
            if not isinstance(value, datetime) or value.tzinfo is None:
                raise ValueError(f"UTCDateTime needs an aware datetime, got {value!r}")
            v = value.astimezone(UTC)
            return _SQLITE_FORMAT % (
                v.year,
                v.month,
                v.day,
                v.hour,
                v.minute,
                v.second,
                v.microsecond,
            )

        return to_text

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
