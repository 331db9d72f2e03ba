"""Read-then-write on SQLite in two processes: lost updates, "database is locked", BEGIN IMMEDIATE.

SQLite only: one writer at a time per database file, WAL snapshots and BEGIN IMMEDIATE are
SQLite's own. Two real processes race to add 1 to one counter, each reading before it writes.

Backends: sqlite
Run: python examples/sqlite/sqlite_locking.py [DATABASE_URL]
"""

# lint: ignore-file[NC001]  (naming conventions: see migr_models.py)

from __future__ import annotations

import multiprocessing
import queue
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

# region: imports
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlite_engine import send_begin_from_sqlalchemy, set_sqlite_pragmas

# endregion


# region: read-then-write
class Base(DeclarativeBase):
    pass


class Counter(Base):
    __tablename__ = "counter"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int]


def no_pause() -> None:
    pass  # the tests pause here until the other process has read too


def add_one(SessionLocal: sessionmaker[Session], pause: Callable[[], None] = no_pause) -> None:
    with SessionLocal.begin() as session:
        counter = session.get_one(Counter, 1)  # read ...
        pause()
        counter.value = counter.value + 1  # ... then write what we computed


# endregion


# region: writer-sessions
def writer_sessions(engine: Engine) -> sessionmaker[Session]:
    # BEGIN IMMEDIATE takes the write lock before the first read: a second writer waits at
    # its BEGIN (busy_timeout), then reads the committed value. Readers keep plain sessions.
    # Needs send_begin_from_sqlalchemy(engine), or sqlite3 sends a BEGIN of its own.
    return sessionmaker(engine.execution_options(sqlite_begin="IMMEDIATE"))


# endregion


# region: retry
R = TypeVar("R")


def retry_when_locked(transaction: Callable[[], R], attempts: int = 5) -> R:
    """Run a whole transaction again when SQLite answers "database is locked"."""
    for attempt in range(1, attempts + 1):
        try:
            return transaction()
        except OperationalError as exc:
            if "database is locked" not in str(exc.orig) or attempt == attempts:
                raise
            time.sleep(random.uniform(0, 0.05 * 2**attempt))  # let the other writer finish
    raise AssertionError("unreachable")


# endregion

# How each process sets up its engine and transactions:
#   driver     the sqlite3 driver's default: BEGIN only before the UPDATE
#   deferred   SQLAlchemy sends BEGIN (DEFERRED): the read is inside the transaction
#   retry      deferred, and the whole transaction runs again on "database is locked"
#   immediate  SQLAlchemy sends BEGIN IMMEDIATE (writer_sessions)
MODES = ("driver", "deferred", "retry", "immediate")
BUSY_TIMEOUT_MS = 30_000  # long on purpose: the errors below come at once anyway


def make_sessions(url: str, mode: str) -> tuple[Engine, sessionmaker[Session]]:
    engine = create_engine(url)
    set_sqlite_pragmas(engine, busy_timeout_ms=BUSY_TIMEOUT_MS)
    if mode == "driver":
        return engine, sessionmaker(engine)
    send_begin_from_sqlalchemy(engine)
    if mode == "immediate":
        return engine, writer_sessions(engine)
    return engine, sessionmaker(engine)


def create_counter(url: str) -> None:
    engine = create_engine(url)
    set_sqlite_pragmas(engine)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        session.add(Counter(id=1, value=0))
    engine.dispose()


def read_counter(url: str) -> int:
    engine = create_engine(url)
    with Session(engine) as session:
        value = session.get_one(Counter, 1).value
    engine.dispose()
    return value


def worker(url: str, mode: str, barrier: Any, results: Any, wait_s: float) -> None:
    """One process: add 1 to the counter, pausing after the read until the other has read."""
    engine, SessionLocal = make_sessions(url, mode)

    waited = False

    def pause() -> None:
        nonlocal waited
        if waited:
            return  # a retry: the other process has moved on
        waited = True
        try:
            barrier.wait(timeout=wait_s)  # both read before either writes, when they can
        except threading.BrokenBarrierError:
            pass  # the other cannot read yet: it waits for our write lock

    try:
        if mode == "retry":
            retry_when_locked(lambda: add_one(SessionLocal, pause))
        else:
            add_one(SessionLocal, pause)
        results.put("committed")
    except OperationalError as exc:
        name = getattr(exc.orig, "sqlite_errorname", "")
        results.put(f"{name}: {exc.orig}")
    finally:
        engine.dispose()


def race(url: str, mode: str, wait_s: float = 5.0) -> tuple[int, list[str]]:
    """Two processes add 1 each to a counter at 0: (its final value, what each reported)."""
    create_counter(url)
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(2)
    results = context.Queue()
    processes = [
        context.Process(target=worker, args=(url, mode, barrier, results, wait_s)) for _ in range(2)
    ]
    for process in processes:
        process.start()
    try:
        outcomes = sorted(results.get(timeout=20) for _ in processes)
    except queue.Empty:
        outcomes = ["no answer within 20 s"]
    for process in processes:
        process.join(timeout=20)
        if process.is_alive():
            process.kill()
            process.join()
    return read_counter(url), outcomes


def main(url: str | None = None) -> dict[str, int]:
    if url is None:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'locking_demo.db'}"
    finals = {}
    for mode in MODES:
        # immediate: the first process waits at most 0.5 s for a read the other cannot do yet.
        final, outcomes = race(url, mode, wait_s=0.5 if mode == "immediate" else 5.0)
        finals[mode] = final
        print(f"{mode:>9}: counter {final} (expected 2); {outcomes}")
    return finals


if __name__ == "__main__":
    main(*sys.argv[1:2])
