"""The SQLite engine set-up: pool classes per URL, PRAGMAs (foreign keys, WAL, busy_timeout) on
every connection, sync and aiosqlite, and BEGIN sent by SQLAlchemy (DEFERRED or IMMEDIATE)."""

import asyncio
import threading
import time

import pytest
from sqlalchemy import create_engine, event, exc, text
from sqlalchemy.ext.asyncio import create_async_engine

pytestmark = pytest.mark.backends("sqlite")


@pytest.fixture
def sqlite(example):
    return example("sqlite_engine")


def test_file_databases_get_queuepool_and_memory_ones_singletonthreadpool(db, sqlite):
    assert sqlite.pool_class(db.url) == "QueuePool"
    assert sqlite.pool_class("sqlite://") == "SingletonThreadPool"
    assert sqlite.pool_class("sqlite:///:memory:") == "SingletonThreadPool"


PRAGMAS = ("foreign_keys", "journal_mode", "busy_timeout")


def test_pragmas_are_set_on_every_connection(db, sqlite):
    engine = create_engine(db.url)
    sqlite.set_sqlite_pragmas(engine, busy_timeout_ms=7000)
    with engine.connect() as first, engine.connect() as second:
        for conn in (first, second):
            assert [conn.scalar(text(f"PRAGMA {name}")) for name in PRAGMAS] == [1, "wal", 7000]
    engine.dispose()


def test_without_the_hook_foreign_keys_are_off(db):
    engine = create_engine(db.url)
    with engine.connect() as conn:
        assert conn.scalar(text("PRAGMA foreign_keys")) == 0
    engine.dispose()


def test_pragma_foreign_keys_inside_a_transaction_is_ignored(db):
    # Why the hook runs in "connect": once BEGIN has been sent, the PRAGMA does nothing.
    engine = create_engine(db.url)
    with engine.connect() as conn:
        conn.exec_driver_sql("BEGIN")
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        assert conn.scalar(text("PRAGMA foreign_keys")) == 0
        conn.exec_driver_sql("COMMIT")
        assert conn.scalar(text("PRAGMA foreign_keys")) == 0
    engine.dispose()


@pytest.mark.parametrize("begin_recipe", [False, True], ids=["driver-begin", "sqlalchemy-begin"])
def test_pragmas_reach_aiosqlite_connections_through_sync_engine(db, sqlite, begin_recipe):
    async def pragmas():
        engine = create_async_engine(db.async_url)
        sqlite.set_sqlite_pragmas(engine.sync_engine, busy_timeout_ms=7000)
        if begin_recipe:
            sqlite.send_begin_from_sqlalchemy(engine.sync_engine)
        sent = begins_sent(engine.sync_engine)
        try:
            async with engine.connect() as conn:
                return [await conn.scalar(text(f"PRAGMA {name}")) for name in PRAGMAS], sent
        finally:
            await engine.dispose()

    values, sent = asyncio.run(pragmas())
    assert values == [1, "wal", 7000]
    if begin_recipe:  # the SELECT ran inside SQLAlchemy's BEGIN
        assert sent == ["BEGIN DEFERRED"]


def begins_sent(engine) -> list[str]:
    sent = []

    @event.listens_for(engine, "before_cursor_execute")
    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("BEGIN"):
            sent.append(statement)

    return sent


def test_sqlalchemy_sends_begin_deferred_and_immediate_on_request(db, sqlite):
    engine = create_engine(db.url)
    sqlite.send_begin_from_sqlalchemy(engine)
    sent = begins_sent(engine)
    with engine.connect() as conn:
        conn.scalar(text("select 1"))  # a SELECT first: sqlite3 alone would send no BEGIN
        assert conn.in_transaction()
    with engine.execution_options(sqlite_begin="IMMEDIATE").begin() as conn:
        conn.scalar(text("select 1"))
    assert sent == ["BEGIN DEFERRED", "BEGIN IMMEDIATE"]
    engine.dispose()


def test_begin_immediate_takes_the_write_lock_before_any_write(db, sqlite):
    engine = create_engine(db.url, connect_args={"timeout": 0})
    sqlite.send_begin_from_sqlalchemy(engine)
    sqlite.create_table(engine)
    with engine.execution_options(sqlite_begin="IMMEDIATE").connect() as first:
        first.scalar(text("select count(*) from event"))  # only a read so far
        with pytest.raises(exc.OperationalError, match="database is locked"):
            sqlite.write_rows(engine, "second", 1)
    engine.dispose()


def test_concurrent_writer_threads_all_succeed(db, sqlite):
    engine = sqlite.sqlite_engine(db.url)
    sqlite.create_table(engine)
    assert sqlite.write_concurrently(engine, writers=4, rows=50) == []
    with engine.connect() as conn:
        rows = conn.execute(text("select writer, count(*) from event group by writer"))
        counts = {writer: n for writer, n in rows}
    engine.dispose()
    assert counts == {"w0": 50, "w1": 50, "w2": 50, "w3": 50}


def second_writer_while_first_holds_the_lock(sqlite, engine, release_before_join: bool):
    """Thread 1 holds an open write transaction; the caller's second write runs meanwhile.

    Returns the error the second writer raised, or None.
    """
    holder = engine.connect()
    holder.execute(text("insert into event (writer, n) values ('holder', 0)"))  # write lock
    outcome = {}

    def second_writer():
        try:
            sqlite.write_rows(engine, "second", 1)
            outcome["error"] = None
        except exc.OperationalError as error:
            outcome["error"] = error

    thread = threading.Thread(target=second_writer)
    thread.start()
    if release_before_join:
        time.sleep(0.3)  # let the second writer find the lock taken, then release it
        holder.commit()
    thread.join()
    holder.commit()
    holder.close()
    return outcome["error"]


def test_busy_timeout_makes_a_second_writer_wait_for_the_lock(db, sqlite):
    engine = sqlite.sqlite_engine(db.url, busy_timeout_ms=10_000)
    sqlite.create_table(engine)
    assert (
        second_writer_while_first_holds_the_lock(sqlite, engine, release_before_join=True) is None
    )
    with engine.connect() as conn:
        assert conn.scalar(text("select count(*) from event")) == 2
    engine.dispose()


def test_without_busy_timeout_a_second_writer_fails_at_once(db, sqlite):
    engine = sqlite.sqlite_engine(db.url, busy_timeout_ms=0)
    sqlite.create_table(engine)
    error = second_writer_while_first_holds_the_lock(sqlite, engine, release_before_join=False)
    assert "database is locked" in str(error)
    engine.dispose()


@pytest.mark.parametrize("wal", [True, False])
def test_wal_lets_a_writer_commit_while_a_read_transaction_is_open(db, sqlite, wal):
    if wal:
        engine = sqlite.sqlite_engine(db.url, busy_timeout_ms=0)
    else:  # the default rollback journal, also without waiting
        engine = create_engine(db.url, connect_args={"timeout": 0})
    sqlite.create_table(engine)
    with engine.connect() as reader, engine.connect() as writer:
        reader.exec_driver_sql("BEGIN")  # a read transaction, e.g. a slow report
        reader.execute(text("select count(*) from event")).all()
        writer.execute(text("insert into event (writer, n) values ('w', 1)"))
        if wal:
            writer.commit()
            assert reader.scalar(text("select count(*) from event")) == 0  # its snapshot
        else:
            with pytest.raises(exc.OperationalError, match="database is locked"):
                writer.commit()  # needs an exclusive lock; the reader holds a shared one
            writer.rollback()
        reader.rollback()
    engine.dispose()


def test_main_writes_every_row(db, sqlite):
    assert sqlite.main(db.url) == 200
