"""Lost updates: N threads increment one counter; read-modify-write loses some, two fixes don't.

PostgreSQL only: the point is concurrent writers in separate transactions. SQLite lets one
writer in at a time and has no FOR UPDATE; its read-then-write race, and BEGIN IMMEDIATE, are
in examples/sqlite/sqlite_locking.py.

Backends: postgresql
Run: python examples/transactions/tx_counter.py [DATABASE_URL]
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

# region: imports
from sqlalchemy import create_engine, update
from sqlalchemy.orm import Session, sessionmaker
from tx_models import Base, Counter

# endregion


# region: naive
def no_work() -> None:
    pass  # the tests pass a pause here to widen the race window


def increment_naive(
    SessionLocal: sessionmaker[Session], counter_id: int, work: Callable[[], None] = no_work
) -> None:
    # WRONG under concurrency: two workers read 5, both write 6, one increment is lost.
    with SessionLocal.begin() as session:
        counter = session.get_one(Counter, counter_id)  # plain SELECT: no lock
        work()  # any delay between the read and the write widens the race
        counter.value = counter.value + 1  # UPDATE counter SET value=6: overwrites the other


# endregion


# region: for-update
def increment_locked(
    SessionLocal: sessionmaker[Session], counter_id: int, work: Callable[[], None] = no_work
) -> None:
    # SELECT ... FOR UPDATE: the next worker waits here until this transaction commits.
    with SessionLocal.begin() as session:
        counter = session.get_one(Counter, counter_id, with_for_update=True)
        work()
        counter.value = counter.value + 1


# endregion


# region: atomic
def increment_atomic(
    SessionLocal: sessionmaker[Session], counter_id: int, work: Callable[[], None] = no_work
) -> None:
    # Let the database do the arithmetic: UPDATE counter SET value = value + 1. No read at all.
    with SessionLocal.begin() as session:
        work()  # the rest of the transaction: there is no earlier read to go stale
        session.execute(
            update(Counter).where(Counter.id == counter_id).values(value=Counter.value + 1)
        )


# endregion


def run_workers(
    SessionLocal: sessionmaker[Session],
    increment: Callable[..., None],
    workers: int = 4,
    times: int = 10,
    delay: float = 0.005,
) -> int:
    """`workers` threads, each with its own sessions, call `increment` `times` times each.

    Returns the final counter value; anything short of workers * times was lost.
    """
    with SessionLocal.begin() as session:
        counter = Counter(value=0)
        session.add(counter)
        session.flush()
        counter_id = counter.id
    start = threading.Barrier(workers, timeout=30)

    def worker() -> None:
        start.wait()  # all threads begin together
        for _ in range(times):
            increment(SessionLocal, counter_id, work=lambda: time.sleep(delay))

    with ThreadPoolExecutor(workers) as pool:
        for future in [pool.submit(worker) for _ in range(workers)]:
            future.result(timeout=60)
    with SessionLocal() as session:
        return session.get_one(Counter, counter_id).value


def main(url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/test") -> dict[str, int]:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    SessionLocal = sessionmaker(engine)
    workers, times = 4, 10
    lost = {}
    for increment in (increment_naive, increment_locked, increment_atomic):
        final = run_workers(SessionLocal, increment, workers, times)
        lost[increment.__name__] = workers * times - final
        print(
            f"{increment.__name__}: {final} of {workers * times}, lost {lost[increment.__name__]}"
        )
    engine.dispose()
    return lost


if __name__ == "__main__":
    main(*sys.argv[1:2])
