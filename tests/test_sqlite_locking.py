"""Two processes (not threads) add 1 to one SQLite counter, each reading before it writes.

The sqlite3 driver's default loses an update silently; SQLAlchemy's BEGIN (DEFERRED) turns it
into "database is locked" at once, whatever busy_timeout says; retrying the whole transaction
or BEGIN IMMEDIATE lands both. Each race is bounded: 20 s per answer, busy_timeout is 30 s.
"""

import importlib

import pytest
from sqlalchemy import create_engine, exc, text, update
from sqlalchemy.orm import Session

pytestmark = pytest.mark.backends("sqlite")


@pytest.fixture(scope="module")
def races(tmp_path_factory):
    """mode -> (final counter, what each process reported); one race per mode."""
    locking = importlib.import_module("sqlite_locking")
    url = f"sqlite:///{tmp_path_factory.mktemp('locking') / 'race.db'}"
    # immediate: the first process waits 0.5 s for a read the other cannot do before it commits.
    return {
        mode: locking.race(url, mode, wait_s=0.5 if mode == "immediate" else 5.0)
        for mode in locking.MODES
    }


def test_the_drivers_default_loses_an_update_without_an_error(races):
    # sqlite3 sends BEGIN only before the UPDATE: both reads ran outside a transaction.
    assert races["driver"] == (1, ["committed", "committed"])


def test_a_deferred_read_then_write_fails_at_once_despite_busy_timeout(races):
    final, outcomes = races["deferred"]
    assert final == 1
    failed, committed = outcomes
    assert committed == "committed"
    # SQLITE_BUSY, or SQLITE_BUSY_SNAPSHOT when the other has already committed; both come at
    # once (the race answers within 20 s although busy_timeout is 30 s).
    assert failed.startswith("SQLITE_BUSY") and failed.endswith("database is locked")


def test_retrying_the_whole_transaction_lands_both_increments(races):
    assert races["retry"] == (2, ["committed", "committed"])


def test_begin_immediate_lands_both_increments_without_an_error(races):
    assert races["immediate"] == (2, ["committed", "committed"])


def test_a_stale_snapshot_cannot_write_whatever_busy_timeout_says(db, example):
    locking = example("sqlite_locking")
    locking.create_counter(db.url)
    reader, _ = locking.make_sessions(db.url, "deferred")
    other = create_engine(db.url)
    with Session(reader) as session:
        assert session.get_one(locking.Counter, 1).value == 0  # BEGIN; the snapshot is taken
        with other.begin() as conn:  # another connection commits a write meanwhile
            conn.execute(text("update counter set value = 5"))
        with pytest.raises(exc.OperationalError, match="database is locked") as caught:
            session.execute(update(locking.Counter).values(value=1))
        assert caught.value.orig.sqlite_errorname == "SQLITE_BUSY_SNAPSHOT"
    reader.dispose()
    other.dispose()
