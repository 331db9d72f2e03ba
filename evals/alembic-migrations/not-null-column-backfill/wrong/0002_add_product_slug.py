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
    op.add_column("product", sa.Column("slug", sa.String(120), nullable=True))
    op.execute(
        product.update()
        .where(product.c.slug.is_(None))
        .values(slug=sa.func.lower(sa.func.replace(product.c.name, " ", "-")))
    )
    op.alter_column("product", "slug", existing_type=sa.String(120), nullable=False)


def downgrade() -> None:
    op.drop_column("product", "slug")
