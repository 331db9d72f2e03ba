"""Retry a whole transaction on serialization failures and deadlocks, and on nothing else.

PostgreSQL aborts one of two conflicting transactions with SQLSTATE 40001
(serialization_failure, SERIALIZABLE or REPEATABLE READ) or 40P01 (deadlock_detected); running
the transaction again is the documented cure. Every other error (a unique violation, a syntax
error, a lost connection) would fail the same way again, so it propagates at once.
retry_on_conflict wraps plain functions; async def functions need retry_on_conflict_async
(the sync decorator refuses them: it would return the coroutine and never retry).

Backends: sqlite, postgresql
Run: python examples/transactions/tx_retry.py [DATABASE_URL]
"""

from __future__ import annotations

# region: imports
import asyncio
import functools
import inspect
import random
import sys
import time
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from sqlalchemy import create_engine, func, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from tx_locking import sqlstate
from tx_models import Account, Base

# endregion

# region: retry
P = ParamSpec("P")
R = TypeVar("R")

RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected


def backoff(attempt: int, base_delay: float, max_delay: float) -> float:
    # Exponential backoff with full jitter, so the retries do not collide again.
    return random.uniform(0, min(max_delay, base_delay * 2 ** (attempt - 1)))


def retry_on_conflict(
    max_attempts: int = 5,
    base_delay: float = 0.05,
    max_delay: float = 2.0,
    on_retry: Callable[[int, DBAPIError], None] | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run the decorated function again when the database reports a retryable conflict.

    The function must open and finish its own transaction, so each attempt starts afresh.
    """

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        if inspect.iscoroutinefunction(fn):  # calling it only creates a coroutine: no error yet
            raise TypeError(f"{fn.__qualname__} is async: use retry_on_conflict_async")

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            for attempt in range(1, max_attempts + 1):
                try:
                    return fn(*args, **kwargs)
                except DBAPIError as exc:
                    if sqlstate(exc) not in RETRYABLE_SQLSTATES or attempt == max_attempts:
                        raise  # not retryable, or out of attempts: the caller sees this error
                    if on_retry is not None:
                        on_retry(attempt, exc)
                    time.sleep(backoff(attempt, base_delay, max_delay))
            raise AssertionError("unreachable")

        return wrapper

    return decorate


# endregion


# region: retry-async
def retry_on_conflict_async(
    max_attempts: int = 5,
    base_delay: float = 0.05,
    max_delay: float = 2.0,
    on_retry: Callable[[int, DBAPIError], None] | None = None,
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """retry_on_conflict for async def: awaits each attempt, sleeps with asyncio.sleep."""

    def decorate(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        if not inspect.iscoroutinefunction(fn):
            raise TypeError(f"{fn.__qualname__} is not async: use retry_on_conflict")

        @functools.wraps(fn)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            for attempt in range(1, max_attempts + 1):
                try:
                    return await fn(*args, **kwargs)
                except DBAPIError as exc:  # asyncpg: a plain DBAPIError, never OperationalError
                    if sqlstate(exc) not in RETRYABLE_SQLSTATES or attempt == max_attempts:
                        raise
                    if on_retry is not None:
                        on_retry(attempt, exc)
                    await asyncio.sleep(backoff(attempt, base_delay, max_delay))
            raise AssertionError("unreachable")

        return wrapper

    return decorate


# endregion


# region: usage
@retry_on_conflict(max_attempts=5)
def deposit(SessionLocal: sessionmaker[Session], owner: str, amount: int) -> int:
    # The retried unit is the whole transaction: a new session and a new BEGIN each attempt.
    with SessionLocal.begin() as session:
        account = session.scalars(select(Account).where(Account.owner == owner)).one()
        account.balance += amount
        return account.balance


# endregion


@retry_on_conflict(max_attempts=5)
def open_account(SessionLocal: sessionmaker[Session], owner: str) -> None:
    with SessionLocal.begin() as session:
        session.add(Account(owner=owner, balance=0))


def main(url: str = "sqlite://") -> int:
    engine = create_engine(url, isolation_level="SERIALIZABLE")
    Base.metadata.create_all(engine)
    SessionLocal = sessionmaker(engine)
    open_account(SessionLocal, "ada")
    balance = deposit(SessionLocal, "ada", 25)
    try:
        open_account(SessionLocal, "ada")
    except IntegrityError as exc:
        print("not retried:", type(exc).__name__, sqlstate(exc))
    with SessionLocal() as session:
        accounts = session.scalar(select(func.count()).select_from(Account))
    engine.dispose()
    print("balance:", balance, "accounts:", accounts)
    return balance


if __name__ == "__main__":
    main(*sys.argv[1:2])
