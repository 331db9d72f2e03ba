"""SERIALIZABLE transfers under contention: conflicts abort with 40001, the retry re-runs them.

PostgreSQL only: SQLite runs one writer at a time; its conflicts come as "database is locked",
not SQLSTATE 40001 (examples/sqlite/sqlite_locking.py shows them and the retry).

Backends: postgresql
Run: python examples/transactions/tx_transfers.py [DATABASE_URL]
"""

from __future__ import annotations

import inspect
import random
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

# region: imports
from sqlalchemy import create_engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker
from tx_models import Account, Base
from tx_retry import retry_on_conflict

# endregion


# region: serializable-transfer
def no_work() -> None:
    pass  # the tests pass a pause here to widen the race window


@retry_on_conflict(max_attempts=10, base_delay=0.01)
def transfer(
    SessionLocal: sessionmaker[Session],
    source: int,
    target: int,
    amount: int,
    work: Callable[[], None] = no_work,
) -> None:
    # SessionLocal is bound to create_engine(url, isolation_level="SERIALIZABLE"): PostgreSQL
    # aborts whichever of two overlapping transfers would break serial order (SQLSTATE 40001).
    with SessionLocal.begin() as session:
        stmt = select(Account.id, Account.balance).where(Account.id.in_([source, target]))
        balances = {account: balance for account, balance in session.execute(stmt)}  # read ...
        if balances[source] < amount:
            raise ValueError("insufficient funds")
        work()
        new_balances = {source: balances[source] - amount, target: balances[target] + amount}
        for account_id, balance in new_balances.items():  # ... then write what we computed
            session.execute(update(Account).where(Account.id == account_id).values(balance=balance))


# endregion


def total(SessionLocal: sessionmaker[Session]) -> int:
    with SessionLocal() as session:
        return int(session.scalars(select(func.sum(Account.balance))).one())


def run_transfers(
    SessionLocal: sessionmaker[Session], workers: int = 4, per_worker: int = 10, accounts: int = 4
) -> int:
    """Random transfers between a few accounts from several threads; returns the retry count."""
    with SessionLocal.begin() as session:
        session.add_all(Account(id=i, owner=f"owner {i}", balance=1000) for i in range(accounts))
    retries: list[int] = []
    # Contention is heavy by design (every transfer touches 2 of a few accounts): allow many tries.
    counted = retry_on_conflict(
        max_attempts=25,
        base_delay=0.01,
        max_delay=0.2,
        on_retry=lambda attempt, exc: retries.append(attempt),
    )(inspect.unwrap(transfer))  # the undecorated transfer
    start = threading.Barrier(workers, timeout=30)

    def pause() -> None:
        time.sleep(0.002)  # stand-in for real work between the read and the writes

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        start.wait()
        for _ in range(per_worker):
            source, target = rng.sample(range(accounts), 2)
            counted(SessionLocal, source, target, rng.randint(1, 10), work=pause)

    with ThreadPoolExecutor(workers) as pool:
        for future in [pool.submit(worker, seed) for seed in range(workers)]:
            future.result(timeout=120)
    return len(retries)


def main(url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/test") -> int:
    engine = create_engine(url, isolation_level="SERIALIZABLE")
    Base.metadata.create_all(engine)
    SessionLocal = sessionmaker(engine)
    retries = run_transfers(SessionLocal)
    print("total after 40 concurrent transfers:", total(SessionLocal), "retries:", retries)
    engine.dispose()
    return retries


if __name__ == "__main__":
    main(*sys.argv[1:2])
