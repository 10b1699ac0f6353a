"""evidence is claimed in the dispatcher and fetched after commit; drop briefing_log.outbox_id

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch_op.add_column(
            sa.Column("room_topic", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch_op.add_column(
            sa.Column("private", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index("ix_evidence_status", ["status"], unique=False)
    with op.batch_alter_table("briefing_log", schema=None) as batch_op:
        batch_op.drop_column("outbox_id")


def downgrade() -> None:
    with op.batch_alter_table("briefing_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outbox_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index("ix_evidence_status")
        batch_op.drop_column("private")
        batch_op.drop_column("room_topic")
        batch_op.drop_column("ref")
