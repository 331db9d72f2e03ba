"""Add product.slug (NOT NULL), filled from name."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

product = sa.table(
    "product",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("slug", sa.String),
)


def upgrade() -> None:
    # Nullable first: the table has rows, none of them has a slug yet.
    op.add_column("product", sa.Column("slug", sa.String(120), nullable=True))
    op.execute(
        product.update()
        .where(product.c.slug.is_(None))
        .values(slug=sa.func.lower(sa.func.replace(product.c.name, " ", "-")))
    )
    # SQLite cannot ALTER a column's nullability: batch mode rebuilds the table there.
    with op.batch_alter_table("product") as batch_op:
        batch_op.alter_column("slug", existing_type=sa.String(120), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("product") as batch_op:
        batch_op.drop_column("slug")
