"""Create event, a table with a PostgreSQL enum column (the revisions here are PostgreSQL-only)."""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "pg0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

event_kind = sa.Enum("signup", "login", name="event_kind")


def upgrade() -> None:
    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", event_kind, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=True),  # NOT NULL from pg0006 on
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
    )


def downgrade() -> None:
    op.drop_table("event")
    event_kind.drop(op.get_bind())  # drop_table leaves the enum type behind
