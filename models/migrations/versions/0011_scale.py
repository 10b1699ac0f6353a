"""ticket: covering indexes for the briefing's grouped counts at a province's scale

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Live tickets per grid (open counts), and overdue or waiting ones, read from the index
    # alone: at 1M tickets a lookup of each live row's grid_id was most of the briefing.
    op.create_index("ix_ticket_status_grid_due", "ticket", ["status", "grid_id", "due_at"])
    # Yesterday's new tickets per grid, likewise.
    op.create_index("ix_ticket_created_grid", "ticket", ["created_at", "grid_id"])


def downgrade() -> None:
    op.drop_index("ix_ticket_created_grid", table_name="ticket")
    op.drop_index("ix_ticket_status_grid_due", table_name="ticket")
