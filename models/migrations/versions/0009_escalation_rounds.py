"""ticket: escalation_base (step numbers never repeat when the chain restarts) and opened_at

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

import models.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("escalation_base", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("opened_at", models.types.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE ticket SET opened_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_column("opened_at")
        batch_op.drop_column("escalation_base")
