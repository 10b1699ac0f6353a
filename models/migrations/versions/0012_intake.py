"""intake at scale: a roster version for in-memory look-ups, an index for duplicate reports

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# Every write to these tables changes the roster version, so a process that keeps look-ups
# in memory knows, with one value read per message, when they went stale (whoever wrote:
# the import, binding, the console, a hand-made fix in psql).
ROSTER_TABLES = ("grid", "grid_closure", "person", "membership", "room")


def upgrade() -> None:
    op.create_table(
        "roster_version",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
    )
    op.execute("INSERT INTO roster_version (id, version) VALUES (1, 1)")
    # Live tickets of one grid and category since a moment, newest first: the duplicate
    # check reads only the recent ones instead of every live ticket of the grid.
    op.create_index(
        "ix_ticket_grid_category_created", "ticket", ["grid_id", "category", "created_at"]
    )
    if op.get_bind().dialect.name == "postgresql":
        # A random value, not a counter: it only has to differ, and a table emptied by
        # TRUNCATE (which fires no row trigger) cannot bring an old value back.
        op.execute(
            """
            CREATE FUNCTION bump_roster_version() RETURNS trigger AS $$
            BEGIN
                INSERT INTO roster_version (id, version)
                VALUES (1, (random() * 9e18)::bigint)
                ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version;
                RETURN NULL;
            END $$ LANGUAGE plpgsql
            """
        )
        for table in ROSTER_TABLES:
            op.execute(
                f"CREATE TRIGGER roster_version_{table} AFTER INSERT OR UPDATE OR DELETE "
                f"OR TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_roster_version()"
            )
    else:
        for table in ROSTER_TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(
                    f"CREATE TRIGGER roster_version_{table}_{event} AFTER {event.upper()} "
                    f"ON {table} BEGIN UPDATE roster_version SET version = random(); END"
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ROSTER_TABLES:
            op.execute(f"DROP TRIGGER roster_version_{table} ON {table}")
        op.execute("DROP FUNCTION bump_roster_version()")
    else:
        for table in ROSTER_TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER roster_version_{table}_{event}")
    op.drop_index("ix_ticket_grid_category_created", table_name="ticket")
    op.drop_table("roster_version")
