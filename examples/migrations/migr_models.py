"""Models whose constraints get stable names from a MetaData naming convention.

These are the models at the head of the revisions in versions_app/; env.py imports them.
Backends: sqlite, postgresql
Run: python examples/migrations/migr_models.py [DATABASE_URL]
"""

from __future__ import annotations

import sys

# region: imports
from sqlalchemy import CheckConstraint, ForeignKey, MetaData, String, Text, create_engine, inspect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# endregion


# region: naming-convention
# Without names, each database invents its own ("author_name_key", "sqlite_autoindex_..."),
# and a later migration cannot drop or alter the constraint by name on every backend.
NAMING_CONVENTION = {
    "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ix": "ix_%(column_0_label)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",  # CHECKs need a short name of their own
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# endregion


# region: models
class Author(Base):
    __tablename__ = "author"

    id: Mapped[int] = mapped_column(primary_key=True)  # pk_author
    name: Mapped[str] = mapped_column(String(100), unique=True)  # uq_author_name
    slug: Mapped[str] = mapped_column(String(100))  # added NOT NULL by revisions 0002 + 0003


class Book(Base):
    __tablename__ = "book"
    __table_args__ = (CheckConstraint("pages > 0", name="positive_pages"),)  # ck_book_...

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), index=True)  # ix_book_title
    pages: Mapped[int | None]
    summary: Mapped[str | None] = mapped_column(Text)  # renamed from "blurb" by revision 0004
    # fk_book_author_id_author, ix_book_author_id; an author's books go with the author
    author_id: Mapped[int] = mapped_column(ForeignKey("author.id", ondelete="CASCADE"), index=True)


# endregion


def constraint_names(url: str) -> dict[str, list[str]]:
    """The names the database reports for every constraint and index of both tables."""
    engine = create_engine(url)
    inspector = inspect(engine)
    names: dict[str, list[str]] = {}
    for table in ("author", "book"):
        found = [inspector.get_pk_constraint(table)["name"]]
        found += [fk["name"] for fk in inspector.get_foreign_keys(table)]
        found += [uq["name"] for uq in inspector.get_unique_constraints(table)]
        # PostgreSQL also lists the index behind each UNIQUE constraint: skip those.
        found += [
            ix["name"] for ix in inspector.get_indexes(table) if "duplicates_constraint" not in ix
        ]
        found += [ck["name"] for ck in inspector.get_check_constraints(table)]
        names[table] = sorted(str(name) for name in found)  # an unnamed one shows as "None"
    engine.dispose()
    return names


def main(url: str = "sqlite://") -> dict[str, list[str]]:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    names = constraint_names(url)
    for table, found in names.items():
        print(f"{table}: {', '.join(found)}")
    return names


if __name__ == "__main__":
    main(*sys.argv[1:2])
