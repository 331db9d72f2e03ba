"""Add event.source NOT NULL with a constant default: one step, no backfill, no rewrite."""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "pg0004"
down_revision: str | Sequence[str] | None = "pg0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# region: not-null-default
def upgrade() -> None:
    # PostgreSQL 11+ stores a constant default in the catalog: existing rows read 'web'
    # without being rewritten, so this is quick on any table size. (A volatile default such
    # as clock_timestamp() still rewrites the whole table under ACCESS EXCLUSIVE.)
    op.add_column("event", sa.Column("source", sa.String(20), nullable=False, server_default="web"))


def downgrade() -> None:
    op.drop_column("event", "source")


# endregion
