"""Threaded tests on SQLite: shared-cache memory fails a read during a write; a temp file works."""

import pytest
from sqlalchemy import create_engine

pytestmark = pytest.mark.backends("sqlite")


def test_shared_cache_memory_fails_a_read_at_once_during_another_threads_write(example):
    testdb = example("sqlite_testdb")
    # timeout=5: sqlite3's busy timeout does not apply to shared-cache table locks.
    engine = create_engine(testdb.SHARED_MEMORY_URL, connect_args={"timeout": 5})
    assert testdb.read_while_another_thread_writes(engine) == "database table is locked: item"
    engine.dispose()


def test_a_temporary_file_serves_the_committed_rows_during_the_write(db, example, tmp_path):
    testdb = example("sqlite_testdb")
    engine = testdb.threaded_test_engine(tmp_path)
    assert testdb.read_while_another_thread_writes(engine) == "1 row(s)"
    engine.dispose()
