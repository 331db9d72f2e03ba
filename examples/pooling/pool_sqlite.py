"""SQLite-specific pooling: the pool class per URL, and WAL with a busy timeout for writers.

SQLite only: PRAGMA journal_mode and busy_timeout do not exist on other databases.

Backends: sqlite
Run: python examples/pooling/pool_sqlite.py [DATABASE_URL]
"""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path

# region: imports
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry

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


# region: wal
def sqlite_engine(url: str, busy_timeout_ms: int = 5000) -> Engine:
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def set_pragmas(
        dbapi_connection: DBAPIConnection, connection_record: ConnectionPoolEntry
    ) -> None:
        cursor = dbapi_connection.cursor()
        # WAL: readers no longer block the writer, nor the writer readers. Stored in the file.
        cursor.execute("PRAGMA journal_mode=WAL")
        # A writer that finds the database locked retries for this long before
        # "database is locked" (the sqlite3 module's own default is 5 s).
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL, fewer fsyncs
        cursor.close()

    return engine


# endregion


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
        thread.join()
    return errors


def main(url: str | None = None) -> int:
    if url is None:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'pool_demo.db'}"
    for candidate in ("sqlite://", "sqlite:///:memory:", url):
        print(f"{candidate}: {pool_class(candidate)}")
    engine = sqlite_engine(url)
    create_table(engine)
    errors = write_concurrently(engine, writers=4, rows=50)
    with engine.connect() as conn:
        mode = conn.scalar(text("PRAGMA journal_mode"))
        rows: int = conn.scalar(text("select count(*) from event"))
    engine.dispose()
    print(f"journal_mode={mode}, rows written by 4 threads: {rows}, errors: {errors}")
    return rows


if __name__ == "__main__":
    main(*sys.argv[1:2])
