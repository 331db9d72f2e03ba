"""Rename book.blurb to book.summary, by hand: autogenerate proposed drop + add."""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# region: rename
def upgrade() -> None:
    # Autogenerate wrote drop_column("blurb") + add_column("summary"): every blurb lost.
    # A rename keeps the values. (A renamed table is op.rename_table("old", "new").)
    op.alter_column("book", "blurb", new_column_name="summary", existing_type=sa.Text())


def downgrade() -> None:
    op.alter_column("book", "summary", new_column_name="blurb", existing_type=sa.Text())


# endregion
