"""reminders sent once, patrol and meeting records, heavy-pollution alerts and their receipts

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _s(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _t() -> models.types.UTCDateTime:
    return models.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", _s(200), nullable=False),
        sa.Column("kind", _s(20), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sent_at", _t(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_reminder_ticket_id", "reminder", ["ticket_id"])
    op.create_index("ix_reminder_person_day", "reminder", ["person_id", "day"])
    op.create_table(
        "patrol_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", _s(20), nullable=False),
        sa.Column("note", _s(2000), nullable=False),
        sa.Column("at", _t(), nullable=False),
        sa.Column("message_id", _s(200), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["grid_id"], ["grid.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "person_id", "grid_id", "day", "kind", name="uq_patrol_person_day_kind"
        ),
    )
    op.create_index("ix_patrol_grid_day", "patrol_record", ["grid_id", "day"])
    op.create_table(
        "meeting_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("note", _s(4000), nullable=False),
        sa.Column("at", _t(), nullable=False),
        sa.Column("message_id", _s(200), nullable=True),
        sa.ForeignKeyConstraint(["grid_id"], ["grid.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_meeting_grid_day", "meeting_record", ["grid_id", "day"])
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("color", _s(10), nullable=False),
        sa.Column("starts_at", _t(), nullable=False),
        sa.Column("ends_at", _t(), nullable=False),
        sa.Column("note", _s(2000), nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=True),
        sa.Column("issued_at", _t(), nullable=False),
        sa.Column("lifted_at", _t(), nullable=True),
        sa.Column("message_id", _s(200), nullable=True),
        sa.ForeignKeyConstraint(["issued_by"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alert_ends_at", "alert", ["ends_at"])
    op.create_table(
        "alert_ack",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("at", _t(), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alert.id"]),
        sa.ForeignKeyConstraint(["grid_id"], ["grid.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("alert_id", "grid_id", name="uq_alert_ack_grid"),
    )


def downgrade() -> None:
    for table in ("alert_ack", "alert", "meeting_record", "patrol_record", "reminder"):
        op.drop_table(table)
