"""Add author.slug, nullable for now: step 1 of adding a NOT NULL column to a filled table."""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# region: add-nullable
def upgrade() -> None:
    # NOT NULL right away would fail on a table that has rows (none of them has a slug yet).
    op.add_column("author", sa.Column("slug", sa.String(100), nullable=True))


# endregion


# region: batch-drop
def downgrade() -> None:
    # Batch mode: on SQLite, Alembic copies the table without the column and swaps it in
    # (rows kept); on PostgreSQL it sends a plain ALTER TABLE ... DROP COLUMN.
    with op.batch_alter_table("author") as batch_op:
        batch_op.drop_column("slug")


# endregion
