"""Add 'archived' to ticket_status; archive tickets closed before 2024."""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A value added inside a transaction cannot be used until that transaction commits:
    # add it in autocommit, then the UPDATE runs in the revision's (new) transaction.
    with op.get_context().autocommit_block():
        op.execute("ALTER TYPE ticket_status ADD VALUE IF NOT EXISTS 'archived'")
    op.execute(
        "UPDATE ticket SET status = 'archived' WHERE status = 'closed' AND closed_at < '2024-01-01'"
    )


def downgrade() -> None:
    # PostgreSQL cannot drop an enum value: move the rows back, leave the value in the type.
    op.execute("UPDATE ticket SET status = 'closed' WHERE status = 'archived'")
