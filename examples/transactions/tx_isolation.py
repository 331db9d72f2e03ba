"""Isolation levels: per engine, per connection, per session, read back from the database.

SQLite accepts only SERIALIZABLE (its default), READ UNCOMMITTED (which matters only for a
shared-cache connection) and AUTOCOMMIT. PostgreSQL accepts READ COMMITTED (its default),
REPEATABLE READ, SERIALIZABLE, READ UNCOMMITTED (run as READ COMMITTED) and AUTOCOMMIT.

Backends: sqlite, postgresql
Run: python examples/transactions/tx_isolation.py [DATABASE_URL]
"""

from __future__ import annotations

import sys

# region: imports
from sqlalchemy import Engine, create_engine, insert, select, update
from sqlalchemy.orm import Session
from tx_models import Account, Base

# endregion

LEVELS = {
    "sqlite": ["SERIALIZABLE", "READ UNCOMMITTED", "AUTOCOMMIT"],
    "postgresql": ["READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE", "AUTOCOMMIT"],
}


# region: per-engine
def engine_at(url: str, level: str) -> Engine:
    # Every connection this engine hands out starts its transactions at `level`.
    return create_engine(url, isolation_level=level)


# endregion


# region: per-connection
def level_seen_by(engine: Engine, level: str) -> str:
    # execution_options() on a Connection sets the level until it goes back to the pool.
    with engine.connect().execution_options(isolation_level=level) as conn:
        return conn.get_isolation_level()  # asks the database, e.g. "REPEATABLE READ"


# endregion


# region: autocommit
def add_in_autocommit(engine: Engine, owner: str) -> None:
    # AUTOCOMMIT: no transaction at all; each statement is committed as it runs.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(insert(Account).values(owner=owner, balance=0))
        conn.rollback()  # nothing to roll back: the row is already committed


# endregion


# region: per-session
def session_at(engine: Engine, level: str) -> Session:
    # engine.execution_options() returns a copy sharing the same pool: bind a Session to it.
    return Session(bind=engine.execution_options(isolation_level=level))


# endregion


# region: repeatable-read
def read_twice(engine: Engine, level: str, account_id: int) -> tuple[int, int]:
    """Read a balance, let another transaction change and commit it, read it again."""
    with session_at(engine, level) as session:
        first = session.scalars(select(Account.balance).where(Account.id == account_id)).one()
        with engine.begin() as other:
            stmt = update(Account).where(Account.id == account_id)
            other.execute(stmt.values(balance=Account.balance + 1))
        second = session.scalars(select(Account.balance).where(Account.id == account_id)).one()
    # READ COMMITTED sees the new value; REPEATABLE READ and SERIALIZABLE keep the snapshot.
    return first, second


# endregion


def main(url: str = "sqlite://") -> dict[str, str]:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    seen = {level: level_seen_by(engine, level) for level in LEVELS[engine.dialect.name]}
    serializable = engine_at(url, "SERIALIZABLE")
    with serializable.connect() as conn:
        seen["engine SERIALIZABLE"] = conn.get_isolation_level()
    serializable.dispose()
    add_in_autocommit(engine, "ada")
    with session_at(engine, "SERIALIZABLE") as session:
        seen["session SERIALIZABLE"] = session.connection().get_isolation_level()
    engine.dispose()
    for asked, got in seen.items():
        print(f"{asked}: database reports {got}")
    return seen


if __name__ == "__main__":
    main(*sys.argv[1:2])
