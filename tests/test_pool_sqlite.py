"""SQLite-specific pooling: pool classes per URL, WAL and busy_timeout for concurrent writers."""

import threading
import time

import pytest
from sqlalchemy import create_engine, exc, text

pytestmark = pytest.mark.backends("sqlite")


@pytest.fixture
def sqlite(example):
    return example("pool_sqlite")


def test_file_databases_get_queuepool_and_memory_ones_singletonthreadpool(db, sqlite):
    assert sqlite.pool_class(db.url) == "QueuePool"
    assert sqlite.pool_class("sqlite://") == "SingletonThreadPool"
    assert sqlite.pool_class("sqlite:///:memory:") == "SingletonThreadPool"


def test_pragmas_are_set_on_every_connection(db, sqlite):
    engine = sqlite.sqlite_engine(db.url, busy_timeout_ms=7000)
    with engine.connect() as first, engine.connect() as second:
        for conn in (first, second):
            assert conn.scalar(text("PRAGMA journal_mode")) == "wal"
            assert conn.scalar(text("PRAGMA busy_timeout")) == 7000
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
