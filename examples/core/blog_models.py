"""Typed declarative models: one-to-many, many-to-many and self-referential relationships.

Backends: sqlite, postgresql
Run: python examples/core/blog_models.py [DATABASE_URL]
"""
# lint: ignore-file[ASY001]  (sync examples navigate these lazily; async code eager-loads)
# lint: ignore-file[NC001]  (naming conventions: see migr_models.py)

from __future__ import annotations

import sys
from datetime import datetime

# region: imports
from sqlalchemy import Column, ForeignKey, String, Table, Text, create_engine, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from sqlalchemy.types import DateTime

# endregion


# region: base
class Base(DeclarativeBase):
    pass


# endregion


# region: one-to-many
class Author(Base):
    __tablename__ = "author"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    email: Mapped[str | None] = mapped_column(String(200))  # Optional -> NULL allowed

    # One author has many posts; deleting an author deletes its posts.
    posts: Mapped[list[Post]] = relationship(
        back_populates="author", cascade="all, delete-orphan", order_by="Post.id"
    )


class Post(Base):
    __tablename__ = "post"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    views: Mapped[int] = mapped_column(default=0)
    published: Mapped[bool] = mapped_column(default=False)
    # timezone=True: timestamptz on PostgreSQL. A plain DateTime is "timestamp without time
    # zone", and asyncpg rejects aware datetimes for it ("can't subtract offset-naive and
    # offset-aware datetimes").
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    author_id: Mapped[int] = mapped_column(ForeignKey("author.id"), index=True)

    author: Mapped[Author] = relationship(back_populates="posts")
    tags: Mapped[list[Tag]] = relationship(secondary="post_tag", back_populates="posts")


# endregion


# region: many-to-many
# A plain Table for the link: it holds no columns of its own, so it needs no class.
post_tag = Table(
    "post_tag",
    Base.metadata,
    Column("post_id", ForeignKey("post.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(Base):
    __tablename__ = "tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)

    posts: Mapped[list[Post]] = relationship(secondary=post_tag, back_populates="tags")


# endregion


# region: self-referential
class Category(Base):
    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), index=True)

    # remote_side marks the "one" side of the self-join: many children, one parent.
    parent: Mapped[Category | None] = relationship(back_populates="children", remote_side=[id])
    children: Mapped[list[Category]] = relationship(back_populates="parent")


# endregion


def seed(session: Session) -> None:
    """Three authors (one without posts), five posts, three tags, a small category tree."""
    python, sql, orm = Tag(name="python"), Tag(name="sql"), Tag(name="orm")
    ada = Author(name="ada", email="ada@example.com")
    ada.posts = [
        Post(title="Typed models", views=120, published=True, tags=[python, orm]),
        Post(title="Eager loading", views=300, published=True, tags=[orm, sql]),
        Post(title="Draft on pools", views=0, tags=[sql]),
    ]
    grace = Author(name="grace")
    grace.posts = [
        Post(title="Window functions", views=80, published=True, tags=[sql]),
        Post(title="Async sessions", views=40, published=True, tags=[python]),
    ]
    linus = Author(name="linus")  # has no posts: shows up only in outer joins
    root = Category(name="software")
    databases = Category(name="databases", parent=root)
    Category(name="postgresql", parent=databases)
    Category(name="sqlite", parent=databases)
    session.add_all([ada, grace, linus, root])
    session.flush()


def main(url: str = "sqlite://") -> dict[str, list[str]]:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        seed(session)
        session.commit()
        # region: navigate
        ada = session.scalars(select(Author).where(Author.name == "ada")).one()
        titles = [post.title for post in ada.posts]  # one-to-many
        tag_names = sorted(tag.name for tag in ada.posts[0].tags)  # many-to-many
        databases = session.scalars(select(Category).where(Category.name == "databases")).one()
        children = sorted(child.name for child in databases.children)  # self-referential
        # endregion
        result = {
            "ada_titles": titles,
            "first_post_tags": tag_names,
            "database_children": children,
            "parent_of_databases": [databases.parent.name] if databases.parent else [],
        }
    engine.dispose()
    for key, value in result.items():
        print(f"{key}: {value}")
    return result


if __name__ == "__main__":
    main(*sys.argv[1:2])
