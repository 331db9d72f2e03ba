"""The N+1 problem, measured, and the eager-loading options that remove it.

Backends: sqlite, postgresql
Run: python examples/core/eager_loading.py [DATABASE_URL]
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from blog_models import Author, Base, Post, Tag

# region: imports
from sqlalchemy import Connection, Engine, create_engine, event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session, joinedload, raiseload, selectinload

# endregion


# region: counter
@contextmanager
def count_statements(engine: Engine | AsyncEngine) -> Iterator[list[str]]:
    """Collect every SQL statement the engine sends while the block runs."""
    # Events cannot be registered on an AsyncEngine (NotImplementedError): use its sync_engine.
    target = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
    statements: list[str] = []

    def record(
        conn: Connection,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        statements.append(statement)

    event.listen(target, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(target, "before_cursor_execute", record)


# endregion


def make_authors(session: Session, authors: int, posts_each: int = 3) -> None:
    tag = Tag(name="t")
    for a in range(authors):
        posts = [Post(title=f"post {a}.{p}", tags=[tag]) for p in range(posts_each)]
        session.add(Author(name=f"author {a}", posts=posts))
    session.commit()


# region: lazy
def titles_lazy(session: Session) -> dict[str, int]:
    # 1 query for the authors, then 1 more per author when .posts is first touched: N+1.
    authors = session.scalars(select(Author))
    return {author.name: len(author.posts) for author in authors}


# endregion


# region: selectinload
def titles_selectin(session: Session) -> dict[str, int]:
    # 1 + ceil(N / 500) queries: authors, then posts WHERE author_id IN (...), 500 ids per
    # IN list (2 up to 500 authors, 4 for 1200). Composite keys work too (tuple IN).
    # The default choice for collections (one-to-many, many-to-many).
    stmt = select(Author).options(selectinload(Author.posts))
    return {author.name: len(author.posts) for author in session.scalars(stmt)}


# endregion


# region: joinedload
def post_authors_joined(session: Session) -> dict[str, str]:
    # 1 query with a LEFT OUTER JOIN: best for many-to-one (each row has one author).
    stmt = select(Post).options(joinedload(Post.author))
    return {post.title: post.author.name for post in session.scalars(stmt)}


def titles_joined(session: Session) -> dict[str, int]:
    # A joined collection repeats each author once per post: call .unique() before use.
    stmt = select(Author).options(joinedload(Author.posts))
    return {author.name: len(author.posts) for author in session.scalars(stmt).unique()}


# endregion


# region: nested
def tags_per_author(session: Session) -> dict[str, set[str]]:
    # Chain options to load several levels: authors -> posts -> tags, 3 queries in all.
    stmt = select(Author).options(selectinload(Author.posts).selectinload(Post.tags))
    return {
        author.name: {tag.name for post in author.posts for tag in post.tags}
        for author in session.scalars(stmt)
    }


# endregion


# region: raiseload
def authors_strict(session: Session) -> list[Author]:
    # raiseload("*") turns any lazy load left in the code into an error, found in tests.
    stmt = select(Author).options(selectinload(Author.posts), raiseload("*"))
    return list(session.scalars(stmt))


# endregion


# region: async-counter
async def post_counts_async(engine: AsyncEngine) -> tuple[int, dict[str, int]]:
    # The same counter around async code: pass the AsyncEngine (or engine.sync_engine).
    async with AsyncSession(engine) as session:
        with count_statements(engine) as statements:
            stmt = select(Author).options(selectinload(Author.posts))
            posts = {a.name: len(a.posts) for a in await session.scalars(stmt)}
    return len(statements), posts


# endregion


def main(url: str = "sqlite://", *, authors: int = 20) -> dict[str, int]:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        make_authors(session, authors)
    counts = {}
    for loader in (titles_lazy, titles_selectin, titles_joined, post_authors_joined):
        with Session(engine) as session, count_statements(engine) as statements:
            loader(session)
        counts[loader.__name__] = len(statements)
        print(f"{loader.__name__}: {len(statements)} statements for {authors} authors")
    engine.dispose()
    return counts


if __name__ == "__main__":
    main(*sys.argv[1:2])
