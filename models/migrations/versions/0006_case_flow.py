"""case flow: ticket source, origin grid, 督办, rework and extension counts; after-photos;
pending 延期 and 申诉 requests

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "source",
                sqlmodel.sql.sqltypes.AutoString(length=20),
                nullable=False,
                server_default="patrol",
            )
        )
        batch_op.add_column(sa.Column("origin_grid_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("supervised", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("reworks", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("extensions", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_foreign_key("fk_ticket_origin_grid", "grid", ["origin_grid_id"], ["id"])
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "stage",
                sqlmodel.sql.sqltypes.AutoString(length=10),
                nullable=False,
                server_default="before",
            )
        )
    op.create_table(
        "ticket_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("proposed_due", models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("prior_status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("paused_next_at", models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decider_id", sa.Integer(), nullable=True),
        sa.Column("decision_note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.ForeignKeyConstraint(["requester_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["decider_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ticket_request_ticket_id", "ticket_request", ["ticket_id"])
    op.create_index("ix_ticket_request_status_kind", "ticket_request", ["status", "kind"])
    op.create_index(
        "uq_ticket_request_pending",
        "ticket_request",
        ["ticket_id", "kind"],
        unique=True,
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_table("ticket_request")
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_column("stage")
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_constraint("fk_ticket_origin_grid", type_="foreignkey")
        for column in ("extensions", "reworks", "supervised", "origin_grid_id", "source"):
            batch_op.drop_column(column)
