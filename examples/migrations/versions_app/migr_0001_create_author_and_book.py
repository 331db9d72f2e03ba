"""Create author and book.

A revision file never imports the app's models: they move on, the file must not.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# region: upgrade
def upgrade() -> None:
    # op.f() marks a name as final: the naming convention is not applied to it again.
    op.create_table(
        "author",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_author")),
        sa.UniqueConstraint("name", name=op.f("uq_author_name")),
    )
    op.create_table(
        "book",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("blurb", sa.Text(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("pages > 0", name=op.f("ck_book_positive_pages")),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["author.id"],
            name=op.f("fk_book_author_id_author"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_book")),
    )
    op.create_index(op.f("ix_book_title"), "book", ["title"])
    op.create_index(op.f("ix_book_author_id"), "book", ["author_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_book_author_id"), table_name="book")
    op.drop_index(op.f("ix_book_title"), table_name="book")
    op.drop_table("book")
    op.drop_table("author")


# endregion
