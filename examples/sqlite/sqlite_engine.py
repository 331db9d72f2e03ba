"""A SQLite engine set up for real use: foreign keys, WAL, busy_timeout, and BEGIN from SQLAlchemy.

SQLite only: PRAGMA foreign_keys, journal_mode and busy_timeout do not exist on other
databases, and the BEGIN recipe works around the sqlite3 driver's own transaction handling.

Backends: sqlite
Run: python examples/sqlite/sqlite_engine.py [DATABASE_URL]
"""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

# region: imports
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry

# endregion


# region: pragmas
def set_sqlite_pragmas(engine: Engine, busy_timeout_ms: int = 5000) -> None:
    """Run the PRAGMAs every new connection needs. For an AsyncEngine pass engine.sync_engine."""

    @event.listens_for(engine, "connect")
    def set_pragmas(
        dbapi_connection: DBAPIConnection, connection_record: ConnectionPoolEntry
    ) -> None:
        # "connect" runs before any BEGIN: inside a transaction PRAGMA foreign_keys is ignored.
        cursor = dbapi_connection.cursor()
        # Enforce FOREIGN KEY and ON DELETE CASCADE; off by default, per connection.
        cursor.execute("PRAGMA foreign_keys=ON")
        # WAL: readers no longer block the writer, nor the writer readers. Stored in the file.
        cursor.execute("PRAGMA journal_mode=WAL")
        # A writer that finds the write lock taken waits this long before "database is locked".
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL, fewer fsyncs
        cursor.close()


# endregion


# region: begin
def send_begin_from_sqlalchemy(engine: Engine) -> None:
    """Let SQLAlchemy send BEGIN, as DEFERRED or, on request, IMMEDIATE.

    The sqlite3 driver sends BEGIN only before INSERT/UPDATE/DELETE: a SELECT, DDL or SAVEPOINT
    that comes first runs outside any transaction. For an AsyncEngine pass engine.sync_engine.
    """

    @event.listens_for(engine, "connect")
    def stop_driver_begin(dbapi_connection: Any, connection_record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None  # sqlite3 (and aiosqlite) send no BEGIN now

    @event.listens_for(engine, "begin")
    def emit_begin(conn: Connection) -> None:
        # engine.execution_options(sqlite_begin="IMMEDIATE") takes the write lock at BEGIN.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        assert mode in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE"), mode
        conn.exec_driver_sql(f"BEGIN {mode}")


# endregion


# region: pool-class
def pool_class(url: str) -> str:
    # File databases get QueuePool; "sqlite://" and ":memory:" get SingletonThreadPool
    # (one connection per thread, each a separate in-memory database).
    engine = create_engine(url)
    name = type(engine.pool).__name__
    engine.dispose()
    return name


# endregion


def sqlite_engine(url: str, busy_timeout_ms: int = 5000) -> Engine:
    engine = create_engine(url)
    set_sqlite_pragmas(engine, busy_timeout_ms)
    return engine


def write_rows(engine: Engine, writer: str, rows: int) -> None:
    """One short transaction per row, as concurrent web requests would write."""
    for i in range(rows):
        with engine.begin() as conn:
            conn.execute(
                text("insert into event (writer, n) values (:w, :n)"), {"w": writer, "n": i}
            )


def create_table(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("create table if not exists event (writer varchar(10), n integer)"))


def write_concurrently(engine: Engine, writers: int, rows: int) -> list[BaseException]:
    """Run `writers` threads at once; return the errors they raised."""
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            write_rows(engine, name, rows)
        except Exception as error:  # collected for the caller to assert on
            errors.append(error)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def main(url: str | None = None) -> int:
    if url is None:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'pool_demo.db'}"
    for candidate in ("sqlite://", "sqlite:///:memory:", url):
        print(f"{candidate}: {pool_class(candidate)}")
    engine = sqlite_engine(url)
    send_begin_from_sqlalchemy(engine)
    create_table(engine)
    errors = write_concurrently(engine, writers=4, rows=50)
    with engine.connect() as conn:
        mode = conn.scalar(text("PRAGMA journal_mode"))
        foreign_keys = conn.scalar(text("PRAGMA foreign_keys"))
        rows: int = conn.scalar(text("select count(*) from event"))
    engine.dispose()
    print(f"journal_mode={mode}, foreign_keys={foreign_keys}, rows by 4 threads: {rows}")
    print(f"errors: {errors}")
    return rows


if __name__ == "__main__":
    main(*sys.argv[1:2])
