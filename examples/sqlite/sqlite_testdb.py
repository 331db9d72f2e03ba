"""A SQLite database for tests that use threads: a temporary file, not shared-cache memory.

SQLite only. A shared-cache in-memory database ("file::memory:?cache=shared") locks whole
tables between its connections: a read in one thread fails at once with "database table is
locked" while another thread's write transaction is open, and busy_timeout does not help.
A file in the test's temporary directory behaves like the database the application uses.

Backends: sqlite
Run: python examples/sqlite/sqlite_testdb.py [DATABASE_URL]
"""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path

# region: imports
from sqlalchemy import Engine, create_engine, exc, text
from sqlite_engine import set_sqlite_pragmas

# endregion

SHARED_MEMORY_URL = "sqlite:///file::memory:?cache=shared&uri=true"


# region: temp-file
def threaded_test_engine(directory: Path) -> Engine:
    # One file per test (pytest's tmp_path): every thread and connection sees the same data,
    # with the locking, WAL and foreign keys the application's own database has.
    engine = create_engine(f"sqlite:///{directory / 'test.db'}")
    set_sqlite_pragmas(engine)
    return engine


# endregion


def read_while_another_thread_writes(engine: Engine) -> str:
    """Hold a write transaction open, read from another thread: its answer or its error."""
    with engine.begin() as conn:
        conn.execute(text("create table if not exists item (name varchar(20))"))
        conn.execute(text("insert into item values ('committed')"))
    answer: list[str] = []

    def read() -> None:
        try:
            with engine.connect() as conn:
                answer.append(f"{conn.scalar(text('select count(*) from item'))} row(s)")
        except exc.OperationalError as error:
            answer.append(str(error.orig))

    with engine.connect() as writer:
        writer.execute(text("insert into item values ('uncommitted')"))  # write lock held
        reader = threading.Thread(target=read)
        reader.start()
        reader.join(timeout=30)
        writer.rollback()
    return answer[0] if answer else "no answer within 30 s"


def main(url: str | None = None) -> dict[str, str]:
    if url is None:
        file_engine = threaded_test_engine(Path(tempfile.mkdtemp()))
    else:
        file_engine = create_engine(url)
        set_sqlite_pragmas(file_engine)
    # timeout=5 is sqlite3's busy timeout: the shared-cache error comes at once regardless.
    shared = create_engine(SHARED_MEMORY_URL, connect_args={"timeout": 5})
    found = {}
    for name, engine in {"shared-cache memory": shared, "temporary file": file_engine}.items():
        found[name] = read_while_another_thread_writes(engine)
        print(f"{name}: a read during another thread's write gives {found[name]!r}")
        engine.dispose()
    return found


if __name__ == "__main__":
    main(*sys.argv[1:2])
