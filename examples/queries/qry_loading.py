"""Loading what a query needs: contains_eager, load_only/defer, raiseload, populate_existing.

Uses the blog models of examples/core/blog_models.py.

Backends: sqlite, postgresql
Run: PYTHONPATH=examples/core python examples/queries/qry_loading.py [DATABASE_URL]
"""

from __future__ import annotations

import sys

from blog_models import Author, Base, Post, seed

# region: imports
from sqlalchemy import Engine, create_engine, select, update
from sqlalchemy.orm import Session, contains_eager, defer, load_only, raiseload, selectinload

# endregion


# region: contains-eager
def authors_with_published_posts(session: Session) -> dict[str, list[str]]:
    # One query: the JOIN filters the posts AND fills Author.posts from the same rows.
    # Author.posts then holds only the published posts: a partial collection.
    stmt = (
        select(Author)
        .join(Author.posts)
        .where(Post.published.is_(True))
        .options(contains_eager(Author.posts))
        .order_by(Author.name, Post.id)
        # Authors already in the session keep their loaded collection unless told otherwise.
        .execution_options(populate_existing=True)
    )
    authors = session.scalars(stmt).unique()  # joined rows repeat each author
    return {author.name: [post.title for post in author.posts] for author in authors}


# endregion


# region: load-only
def post_headlines(session: Session) -> list[Post]:
    # SELECT post.id, post.title only; reading any other column raises instead of
    # sending one query per object (raiseload=True).
    stmt = select(Post).options(load_only(Post.title, raiseload=True)).order_by(Post.id)
    return list(session.scalars(stmt))


def posts_without_body(session: Session) -> list[Post]:
    # defer() leaves one column out; reading post.body later loads it (one query per post).
    return list(session.scalars(select(Post).options(defer(Post.body)).order_by(Post.id)))


# endregion


# region: raiseload
def authors_for_response(session: Session) -> list[Author]:
    # Load what the caller will read; make every other relationship access raise
    # (InvalidRequestError: 'Author.posts' is not available due to lazy='raise').
    stmt = select(Author).options(raiseload("*")).order_by(Author.name)
    return list(session.scalars(stmt))


def authors_with_posts_for_response(session: Session) -> list[Author]:
    # An explicit option wins over the wildcard: posts load, post.tags still raises.
    stmt = select(Author).options(selectinload(Author.posts), raiseload("*"))
    return list(session.scalars(stmt.order_by(Author.name)))


def posts_author_from_identity_map(session: Session) -> list[Post]:
    # sql_only=True (lazy="raise_on_sql" on a relationship): a many-to-one whose target is
    # already in the session is returned; one that would need a SELECT raises.
    stmt = select(Post).options(raiseload(Post.author, sql_only=True)).order_by(Post.id)
    return list(session.scalars(stmt))


# endregion


# region: populate-existing
def rename_elsewhere(engine: Engine, old: str, new: str) -> None:
    # Another connection (another request, a worker) commits a change.
    with engine.begin() as conn:
        conn.execute(update(Author).where(Author.name == old).values(name=new))


def reload_author(session: Session, author_id: int, refresh: bool) -> str:
    # A SELECT returns the object already in the identity map with its loaded attributes
    # untouched: the new row values are ignored unless populate_existing is set.
    stmt = select(Author).where(Author.id == author_id)
    if refresh:
        stmt = stmt.execution_options(populate_existing=True)
    return session.scalars(stmt).one().name


# endregion


def main(url: str = "sqlite://") -> dict[str, object]:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        seed(session)
        session.commit()
        result: dict[str, object] = {
            "published": authors_with_published_posts(session),
            "headlines": [post.title for post in post_headlines(session)],
            "authors": [author.name for author in authors_for_response(session)],
        }
    with Session(engine) as session:
        ada = session.scalars(select(Author).where(Author.name == "ada")).one()  # kept in the map
        rename_elsewhere(engine, "ada", "ada lovelace")
        result["stale"] = reload_author(session, ada.id, refresh=False)
        result["fresh"] = reload_author(session, ada.id, refresh=True)
    engine.dispose()
    for key, value in result.items():
        print(f"{key}: {value}")
    return result


if __name__ == "__main__":
    main(*sys.argv[1:2])
