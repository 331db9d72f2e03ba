"""Fill author.slug in batches, then make it NOT NULL: steps 2 and 3."""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# region: backfill
BATCH_SIZE = 1000

# A lightweight table of just the columns this revision needs; the app's models may change.
author = sa.table(
    "author",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("slug", sa.String),
)
SLUG = sa.func.lower(sa.func.replace(author.c.name, " ", "-"))


def backfill_slugs(connection: sa.Connection, batch_size: int = BATCH_SIZE) -> int:
    """Set every missing slug, batch_size rows per UPDATE; returns the number of UPDATEs."""
    rounds, last_id = 0, 0
    while True:
        ids = connection.scalars(
            sa.select(author.c.id)
            .where(author.c.id > last_id, author.c.slug.is_(None))
            .order_by(author.c.id)
            .limit(batch_size)
        ).all()
        if not ids:
            return rounds
        connection.execute(author.update().where(author.c.id.in_(ids)).values(slug=SLUG))
        rounds, last_id = rounds + 1, ids[-1]


# endregion


# region: set-not-null
def upgrade() -> None:
    if op.get_context().as_sql:  # `alembic upgrade --sql` has no rows to read: one UPDATE
        op.execute(author.update().where(author.c.slug.is_(None)).values(slug=SLUG))
    else:
        backfill_slugs(op.get_bind())
    # SQLite cannot ALTER a column's nullability: batch mode rebuilds the table there.
    with op.batch_alter_table("author") as batch_op:
        batch_op.alter_column("slug", existing_type=sa.String(100), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("author") as batch_op:
        batch_op.alter_column("slug", existing_type=sa.String(100), nullable=True)


# endregion
