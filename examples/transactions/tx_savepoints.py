"""Savepoints with begin_nested(), and the event recipe SQLite's sqlite3 driver needs for them.

Python's sqlite3 driver (pysqlite) in its default "legacy transaction control" mode does not
emit BEGIN before SELECT or SAVEPOINT. A SAVEPOINT that comes first then opens a transaction
of its own, its RELEASE commits it, and a later ROLLBACK cannot undo that work. The recipe from
the SQLAlchemy SQLite dialect docs (examples/sqlite/sqlite_engine.py) hands BEGIN to SQLAlchemy
so savepoints nest properly.

Backends: sqlite, postgresql
Run: python examples/transactions/tx_savepoints.py [DATABASE_URL]
"""

from __future__ import annotations

import sys

# region: imports
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlite_engine import send_begin_from_sqlalchemy
from tx_models import Account, Base

# endregion


def make_engine(url: str) -> Engine:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        send_begin_from_sqlalchemy(engine)  # the recipe: SQLAlchemy, not sqlite3, sends BEGIN
    return engine


# region: savepoint
def import_accounts(SessionLocal: sessionmaker[Session], rows: list[tuple[str, int]]) -> list[str]:
    """Insert each row under its own SAVEPOINT: a bad row is skipped, the rest commit together."""
    skipped = []
    with SessionLocal.begin() as session:
        for owner, balance in rows:
            try:
                with session.begin_nested():  # SAVEPOINT; RELEASE at the end of the block
                    session.add(Account(owner=owner, balance=balance))
            except IntegrityError:  # flush failed: ROLLBACK TO SAVEPOINT, outer work kept
                skipped.append(owner)
    return skipped


# endregion


# region: savepoint-manual
def keep_outer_work(SessionLocal: sessionmaker[Session]) -> None:
    with SessionLocal.begin() as session:
        session.add(Account(owner="outer", balance=1))
        session.flush()
        savepoint = session.begin_nested()
        session.add(Account(owner="inner", balance=2))
        session.flush()
        savepoint.rollback()  # undoes "inner" only; "outer" commits with the block


# endregion


def rollback_after_released_savepoint(engine: Engine) -> None:
    """Release a savepoint, then roll back the transaction around it."""
    with Session(engine) as session:
        with session.begin_nested():  # the first statement of the transaction is a SAVEPOINT
            session.add(Account(owner="released", balance=3))
        session.rollback()  # must undo "released" too


def owners(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return sorted(session.scalars(select(Account.owner)))


def main(url: str = "sqlite://") -> list[str]:
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    SessionLocal = sessionmaker(engine)
    skipped = import_accounts(SessionLocal, [("ada", 10), ("bob", 20), ("ada", 30)])
    keep_outer_work(SessionLocal)
    rollback_after_released_savepoint(engine)
    result = owners(engine)
    engine.dispose()
    print("skipped:", skipped, "committed:", result)
    return result


if __name__ == "__main__":
    main(*sys.argv[1:2])
