"""roster_version: PostgreSQL bumps it before each roster statement, not after

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02

After the statement, the trigger took the roster_version row's lock once the statement held
its rows' locks. Two transactions writing the roster could so take them in opposite orders
and deadlock: the binding at login (its first statement, on room, locks roster_version; its
next, on person, waits for a member's row) and a message binding that member (its UPDATE
holds the row and waits for roster_version). `bench/kill.py` on PostgreSQL hit it at a
restart: the report got an apology instead of its ticket. Before the statement, the lock on
roster_version always comes first, so such writers queue behind one another instead.
SQLite has no row locks (one writer at a time): its triggers stay as they are.

What this rests on: a transaction writes the roster before it locks any roster row otherwise
(SELECT … FOR UPDATE or FOR KEY SHARE on person, grid or room, as a foreign-key check of an
insert elsewhere takes). The message, the import, the console and the binding all do; a new
writer that locked a roster row first and wrote the roster later could deadlock again.
A TRUNCATE of roster_version with the roster tables (the tests do) empties it: its triggers
fire before it; the next roster write puts the row back.
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ROSTER_TABLES = ("grid", "grid_closure", "person", "membership", "room")


def _triggers(when: str) -> None:
    for table in ROSTER_TABLES:
        op.execute(f"DROP TRIGGER roster_version_{table} ON {table}")
        op.execute(
            f"CREATE TRIGGER roster_version_{table} {when} INSERT OR UPDATE OR DELETE "
            f"OR TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_roster_version()"
        )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _triggers("BEFORE")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _triggers("AFTER")
