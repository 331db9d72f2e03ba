"""Add 'archived' to ticket_status; archive tickets closed before 2024."""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TYPE ticket_status ADD VALUE IF NOT EXISTS 'archived'")
    op.execute(
        "UPDATE ticket SET status = 'archived' WHERE status = 'closed' AND closed_at < '2024-01-01'"
    )


def downgrade() -> None:
    op.execute("UPDATE ticket SET status = 'closed' WHERE status = 'archived'")
