"""2.0-style select(): filters, ordering, pagination, aggregates, joins, group by, columns.

Backends: sqlite, postgresql
Run: python examples/core/queries.py [DATABASE_URL]
"""

from __future__ import annotations

import sys

from blog_models import Author, Base, Post, Tag, post_tag, seed

# region: imports
from sqlalchemy import and_, create_engine, desc, func, or_, select
from sqlalchemy.orm import Session

# endregion


# region: filters
def published_posts_with_views(session: Session, min_views: int) -> list[str]:
    stmt = (
        select(Post)
        .where(Post.published.is_(True), Post.views >= min_views)  # several args = AND
        .where(or_(Post.title.ilike("%loading%"), Post.title.startswith("Typed")))
        .order_by(Post.title)
    )
    return [post.title for post in session.scalars(stmt)]


# endregion


# region: paginate
def page_of_titles(session: Session, page: int, per_page: int = 2) -> list[str]:
    # A stable ORDER BY is required: without it the database may return pages that overlap.
    stmt = (
        select(Post.title)
        .order_by(Post.created_at.desc(), Post.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return list(session.scalars(stmt))


def titles_after(session: Session, last_id: int | None, per_page: int = 2) -> list[tuple[int, str]]:
    # Keyset ("seek") pagination: cost stays flat on deep pages, unlike a large OFFSET.
    stmt = select(Post.id, Post.title).order_by(Post.id).limit(per_page)
    if last_id is not None:
        stmt = stmt.where(Post.id > last_id)
    return [(post_id, title) for post_id, title in session.execute(stmt)]


# endregion


# region: aggregates
def view_stats(session: Session) -> tuple[int, int, int]:
    stmt = select(func.count(Post.id), func.sum(Post.views), func.max(Post.views))
    count, total, highest = session.execute(stmt).one()
    return count, total, highest


# endregion


# region: joins
def posts_by_tag(session: Session, tag_name: str) -> list[tuple[str, str]]:
    # join() follows the relationship, so the ON clause comes from the foreign keys.
    stmt = (
        select(Author.name, Post.title)
        .join(Post.author)
        .join(Post.tags)
        .where(Tag.name == tag_name)
        .order_by(Author.name, Post.title)
    )
    return [(author, title) for author, title in session.execute(stmt)]


# endregion


# region: outer-join
def post_counts_per_author(session: Session) -> list[tuple[str, int]]:
    # LEFT OUTER JOIN keeps authors with no posts; count(Post.id) counts them as 0.
    stmt = (
        select(Author.name, func.count(Post.id).label("posts"))
        .outerjoin(Author.posts)
        .group_by(Author.name)
        .order_by(desc("posts"), Author.name)
    )
    return [(name, posts) for name, posts in session.execute(stmt)]


# endregion


# region: group-by-having
def popular_tags(session: Session, min_posts: int) -> list[tuple[str, int]]:
    post_count = func.count(post_tag.c.post_id)
    stmt = (
        select(Tag.name, post_count)
        .join(post_tag, post_tag.c.tag_id == Tag.id)
        .group_by(Tag.name)
        .having(post_count >= min_posts)  # HAVING filters groups, WHERE filters rows
        .order_by(post_count.desc(), Tag.name)
    )
    return [(tag, posts) for tag, posts in session.execute(stmt)]


# endregion


# region: columns
def author_emails(session: Session) -> list[tuple[str, str | None]]:
    # Selecting columns returns Row tuples, not ORM objects: no identity map, less work.
    stmt = select(Author.name, Author.email).order_by(Author.name)
    return [(row.name, row.email) for row in session.execute(stmt)]


def drafts_by(session: Session, author_name: str) -> list[str]:
    stmt = (
        select(Post.title)
        .join(Post.author)
        .where(and_(Author.name == author_name, Post.published.is_(False)))
    )
    return list(session.scalars(stmt))


# endregion


def main(url: str = "sqlite://") -> None:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        seed(session)
        session.commit()
        print("filters:", published_posts_with_views(session, min_views=100))
        print("page 1:", page_of_titles(session, 1), "keyset:", titles_after(session, None))
        print("stats (count, sum, max):", view_stats(session))
        print("sql posts:", posts_by_tag(session, "sql"))
        print("posts per author:", post_counts_per_author(session))
        print("tags on 2+ posts:", popular_tags(session, 2))
        print("emails:", author_emails(session), "drafts:", drafts_by(session, "ada"))
    engine.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:2])
