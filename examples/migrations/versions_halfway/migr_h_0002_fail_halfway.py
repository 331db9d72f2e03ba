"""Create table second, then fail: what a revision that breaks halfway leaves behind."""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "h0002"
down_revision: str | Sequence[str] | None = "h0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table("second", sa.Column("id", sa.Integer(), primary_key=True))
    raise RuntimeError("h0002 failed after CREATE TABLE second")


def downgrade() -> None:
    op.drop_table("second")
