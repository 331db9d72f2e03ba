"""Pessimistic row locks with SELECT ... FOR UPDATE: plain, NOWAIT, SKIP LOCKED, lock_timeout.

PostgreSQL only: SQLite has no row locks (a writer locks the whole database file), and the
SQLite dialect silently leaves FOR UPDATE out of the SQL it sends.

Backends: postgresql
Run: python examples/transactions/tx_locking.py [DATABASE_URL]
"""

from __future__ import annotations

import sys

# region: imports
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from tx_models import Account, Base

# endregion


# region: for-update
def withdraw(session: Session, account_id: int, amount: int) -> int:
    # FOR UPDATE locks the row until this transaction ends: a second withdraw() on the same
    # account waits here, then reads the balance the first one committed.
    stmt = select(Account).where(Account.id == account_id).with_for_update()
    account = session.scalars(stmt).one()
    if account.balance < amount:
        raise ValueError("insufficient funds")
    account.balance -= amount
    return account.balance


# endregion


# region: nowait
def lock_now_or_fail(session: Session, account_id: int) -> Account:
    # NOWAIT: raise at once (SQLSTATE 55P03, lock_not_available) instead of waiting.
    stmt = select(Account).where(Account.id == account_id).with_for_update(nowait=True)
    return session.scalars(stmt).one()


# endregion


# region: lock-timeout
def lock_within(session: Session, account_id: int, timeout_ms: int) -> Account:
    # Wait, but not forever. set_config(..., true) is SET LOCAL (it lasts until this
    # transaction ends) with a bound value: SET itself cannot take a bind parameter.
    session.execute(text("select set_config('lock_timeout', :ms, true)"), {"ms": str(timeout_ms)})
    return session.get_one(Account, account_id, with_for_update=True)


# endregion


# region: lock-error
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL SQLSTATE for NOWAIT and lock_timeout failures


def sqlstate(exc: DBAPIError) -> str | None:
    # psycopg 3 and SQLAlchemy's asyncpg adapter name it .sqlstate, psycopg2 .pgcode.
    return getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)


def is_lock_not_available(exc: DBAPIError) -> bool:
    return sqlstate(exc) == LOCK_NOT_AVAILABLE


def withdraw_unless_busy(
    SessionLocal: sessionmaker[Session], account_id: int, amount: int
) -> int | None:
    """Withdraw, or return None at once when another transaction holds the account."""
    with SessionLocal() as session:
        try:
            account = lock_now_or_fail(session, account_id)
        except DBAPIError as exc:  # psycopg: OperationalError; asyncpg: plain DBAPIError
            if not is_lock_not_available(exc):
                raise
            return None  # the failed statement aborted the transaction; closing rolls it back
        account.balance -= amount
        session.commit()
        return account.balance


# endregion


def main(url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/test") -> str:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    SessionLocal = sessionmaker(engine)
    with SessionLocal.begin() as session:
        session.add(Account(id=1, owner="ada", balance=100))
    with SessionLocal.begin() as holder, SessionLocal() as other:
        print("balance after withdraw:", withdraw(holder, 1, 30))  # row 1 stays locked
        try:
            lock_now_or_fail(other, 1)
            outcome = "locked"
        except DBAPIError as exc:
            outcome = f"NOWAIT raised {type(exc).__name__}, lock not available: "
            outcome += str(is_lock_not_available(exc))
    engine.dispose()
    print(outcome)
    return outcome


if __name__ == "__main__":
    main(*sys.argv[1:2])
