"""Engines, sessionmaker, expire_on_commit and scoping one session to one unit of work.

Backends: sqlite, postgresql
Run: python examples/core/sessions.py [DATABASE_URL]
"""

from __future__ import annotations

import sys

from blog_models import Author, Base, Post

# region: imports
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session, sessionmaker

# endregion


def make_session_factory(url: str) -> sessionmaker[Session]:
    # region: factory
    # One engine (and its connection pool) per database per process, made at start-up.
    engine = create_engine(url, pool_pre_ping=True)
    # One factory, configured once; call it to get a new, short-lived Session.
    SessionLocal = sessionmaker(engine)
    # endregion
    Base.metadata.create_all(engine)
    return SessionLocal


# region: unit-of-work
def publish_first_post(SessionLocal: sessionmaker[Session], author_name: str, title: str) -> int:
    # begin(): commit when the block ends, roll back if it raises, close the session either way.
    with SessionLocal.begin() as session:
        author = Author(name=author_name, posts=[Post(title=title, published=True)])
        session.add(author)
        session.flush()  # sends the INSERTs now, so the generated id is known
        return author.id


# endregion


# region: rollback
def add_author_then_fail(SessionLocal: sessionmaker[Session], name: str) -> None:
    with SessionLocal.begin() as session:
        session.add(Author(name=name))
        session.flush()  # the row exists inside this transaction only
        raise ValueError("something went wrong after the flush")


# endregion


# region: expire-on-commit
def name_after_close(SessionLocal: sessionmaker[Session], author_id: int) -> str:
    with SessionLocal() as session:
        author = session.get_one(Author, author_id)
        session.commit()  # default expire_on_commit=True: every loaded attribute is expired
    # The session is closed, so reloading the expired attribute is impossible:
    return author.name  # raises DetachedInstanceError


def name_after_close_kept(SessionLocal: sessionmaker[Session], author_id: int) -> str:
    # expire_on_commit=False keeps loaded values after commit, for use after the session.
    with SessionLocal(expire_on_commit=False) as session:
        author = session.get_one(Author, author_id)
        session.commit()
    return author.name  # the value loaded before the commit; no SQL is sent


# endregion


def count_authors(SessionLocal: sessionmaker[Session]) -> int:
    with SessionLocal() as session:
        return session.scalars(select(func.count()).select_from(Author)).one()


def main(url: str = "sqlite://") -> None:
    SessionLocal = make_session_factory(url)
    author_id = publish_first_post(SessionLocal, "ada", "Hello")
    try:
        add_author_then_fail(SessionLocal, "ghost")
    except ValueError:
        pass
    print("authors after one commit and one rollback:", count_authors(SessionLocal))
    print("name with expire_on_commit=False:", name_after_close_kept(SessionLocal, author_id))
    SessionLocal.kw["bind"].dispose()


if __name__ == "__main__":
    main(*sys.argv[1:2])
