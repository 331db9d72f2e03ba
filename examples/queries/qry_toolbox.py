"""Query toolbox: result methods, EXISTS, subqueries, recursive CTEs, window functions,
keyset pagination with row values, text() with bound parameters, bulk UPDATE/DELETE and merge.

Uses the blog models of examples/core/blog_models.py.

Backends: sqlite, postgresql
Run: PYTHONPATH=examples/core python examples/queries/qry_toolbox.py [DATABASE_URL]
"""

from __future__ import annotations

import sys
from typing import Any, Literal

from blog_models import Author, Base, Category, Post, seed

# region: imports
from sqlalchemy import (
    Text,
    bindparam,
    cast,
    create_engine,
    delete,
    exists,
    func,
    literal,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.orm import Session, aliased

# endregion


# region: result-methods
def find_author(session: Session, name: str) -> Author | None:
    # None when absent; MultipleResultsFound if the filter is not unique.
    return session.scalars(select(Author).where(Author.name == name)).one_or_none()


def author_email(session: Session, name: str) -> str | None:
    # scalar_one() raises NoResultFound for a missing author; the value itself may be NULL.
    return session.execute(select(Author.email).where(Author.name == name)).scalar_one()


# endregion


# region: exists
def has_drafts(session: Session, author_name: str) -> bool:
    # SELECT EXISTS (...): the database stops at the first match, returns True/False.
    stmt = select(
        exists().where(Post.author_id == Author.id, Author.name == author_name, ~Post.published)
    )
    return bool(session.scalar(stmt))


def authors_without_posts(session: Session) -> list[str]:
    # Correlated NOT EXISTS; Author.posts.any() writes the same SQL from the relationship.
    no_posts = ~exists().where(Post.author_id == Author.id)
    return list(session.scalars(select(Author.name).where(no_posts).order_by(Author.name)))


# endregion


# region: subqueries
def views_per_author(session: Session) -> list[tuple[str, int]]:
    # A derived table: aggregate first, then join the result like a table.
    totals = (
        select(Post.author_id, func.sum(Post.views).label("total"))
        .group_by(Post.author_id)
        .subquery()
    )
    stmt = (
        select(Author.name, totals.c.total)
        .join(totals, totals.c.author_id == Author.id)
        .order_by(totals.c.total.desc())
    )
    return [(name, int(total)) for name, total in session.execute(stmt)]


def post_count_column(session: Session) -> list[tuple[str, int]]:
    # A correlated scalar subquery as a column: one value per outer row (0 for linus).
    count = select(func.count(Post.id)).where(Post.author_id == Author.id).scalar_subquery()
    stmt = select(Author.name, count.label("posts")).order_by(Author.name)
    return [(name, posts) for name, posts in session.execute(stmt)]


# endregion


# region: recursive-cte
def category_paths(session: Session) -> list[tuple[str, int]]:
    # Anchor: the roots. Recursive part: children of rows already found.
    # PostgreSQL needs the same column types in both parts: without the cast it raises
    # 'column 2 has type character varying(50) in non-recursive term but type character
    # varying overall'.
    tree = (
        select(Category.id, cast(Category.name, Text).label("path"), literal(0).label("depth"))
        .where(Category.parent_id.is_(None))
        .cte("tree", recursive=True)
    )
    child = aliased(Category)
    tree = tree.union_all(
        select(child.id, tree.c.path + " / " + child.name, tree.c.depth + 1).join(
            tree, child.parent_id == tree.c.id
        )
    )
    return [(path, depth) for path, depth in session.execute(select(tree.c.path, tree.c.depth))]


# endregion


# region: window
def top_post_per_author(session: Session) -> dict[str, str]:
    # row_number() restarts for each author; filter on it from an outer query
    # (a window function cannot appear in WHERE).
    rank = func.row_number().over(partition_by=Post.author_id, order_by=Post.views.desc())
    ranked = select(Post.author_id, Post.title, rank.label("rank")).subquery()
    stmt = (
        select(Author.name, ranked.c.title)
        .join(ranked, ranked.c.author_id == Author.id)
        .where(ranked.c.rank == 1)
    )
    return {name: title for name, title in session.execute(stmt)}


def running_views(session: Session, author_name: str) -> list[tuple[str, int]]:
    # sum() OVER (ORDER BY ...): a running total, row by row, in the query's order.
    running = func.sum(Post.views).over(order_by=Post.id)
    stmt = (
        select(Post.title, running)
        .join(Post.author)
        .where(Author.name == author_name)
        .order_by(Post.id)
    )
    return [(title, int(total)) for title, total in session.execute(stmt)]


# endregion


# region: keyset
def posts_after(
    session: Session, after: tuple[int, int] | None, per_page: int
) -> list[tuple[int, int, str]]:
    # Order by a non-unique column plus the primary key as tie-breaker, and continue from
    # the last row's (views, id). Row values need SQLite 3.15+; all columns must sort in
    # the same direction (for DESC use < and .desc() on both).
    stmt = select(Post.views, Post.id, Post.title).order_by(Post.views, Post.id).limit(per_page)
    if after is not None:
        last_views, last_id = after
        stmt = stmt.where(
            tuple_(Post.views, Post.id) > tuple_(literal(last_views), literal(last_id))
        )
    return [(views, id_, title) for views, id_, title in session.execute(stmt)]


# endregion


# region: text
def titles_with_min_views(session: Session, min_views: int) -> list[str]:
    # :name placeholders are sent as bound parameters: the value is never spliced into SQL.
    stmt = text("SELECT title FROM post WHERE views >= :min_views ORDER BY title")
    return list(session.scalars(stmt, {"min_views": min_views}))


def titles_by_ids(session: Session, ids: list[int]) -> list[str]:
    # An IN list needs an expanding parameter: one placeholder becomes (?, ?, ...).
    stmt = text("SELECT title FROM post WHERE id IN :ids ORDER BY id").bindparams(
        bindparam("ids", expanding=True)
    )
    return list(session.scalars(stmt, {"ids": ids}))


def posts_titled(session: Session, title: str) -> list[Post]:
    # text() as the source of ORM objects; bindparams() fixes a value in the statement.
    stmt = text("SELECT * FROM post WHERE title = :title").bindparams(title=title)
    return list(session.scalars(select(Post).from_statement(stmt)))


# endregion


# region: bulk
SyncMode = Literal["auto", "evaluate", "fetch", False]


def bump_views(session: Session, author_id: int, mode: SyncMode) -> None:
    # One UPDATE for all matching rows, no objects loaded; synchronize_session decides
    # what happens to the matching objects already in the session.
    stmt = update(Post).where(Post.author_id == author_id).values(views=Post.views + 1)
    session.execute(stmt, execution_options={"synchronize_session": mode})


def delete_drafts(session: Session, mode: SyncMode) -> None:
    stmt = delete(Post).where(Post.published.is_(False))
    session.execute(stmt, execution_options={"synchronize_session": mode})


# endregion


# region: merge
def save_detached(session: Session, post: Post) -> Post:
    # merge() looks the primary key up (a SELECT unless the object is already in the
    # session), copies the given state onto that persistent object and returns it.
    # The argument itself stays detached: use the return value.
    return session.merge(post)


# endregion


def main(url: str = "sqlite://") -> dict[str, Any]:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        seed(session)
        session.commit()
        result: dict[str, Any] = {
            "find_author": getattr(find_author(session, "nobody"), "name", None),
            "has_drafts": has_drafts(session, "ada"),
            "without_posts": authors_without_posts(session),
            "views_per_author": views_per_author(session),
            "post_counts": post_count_column(session),
            "category_paths": sorted(category_paths(session)),
            "top_posts": top_post_per_author(session),
            "running": running_views(session, "ada"),
            "first_page": posts_after(session, None, 2),
            "text": titles_with_min_views(session, 100),
            "by_ids": titles_by_ids(session, [1, 2]),
        }
        bump_views(session, author_id=1, mode="auto")
        delete_drafts(session, mode="auto")
        session.commit()
        result["after_bulk"] = session.scalar(select(func.count(Post.id)))
    engine.dispose()
    for key, value in result.items():
        print(f"{key}: {value}")
    return result


if __name__ == "__main__":
    main(*sys.argv[1:2])
