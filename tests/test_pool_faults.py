"""Faults seen from PostgreSQL's side.

PostgreSQL only: SQLite has no server that can end a session under the pool, and no
pg_stat_activity in which a leaked transaction shows up.
"""

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

pytestmark = pytest.mark.backends("postgresql")


@pytest.fixture
def faults(example):
    return example("pool_faults")


@pytest.fixture
def engines(db, example):
    made = []

    def make(**overrides):
        engine = example("pool_settings").make_engine(db.url, **overrides)
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.dispose()


@pytest.fixture
def admin(engines):
    """A connection outside the pools under test, to look at and end their sessions."""
    with engines(app_name="pool-test-admin", isolation_level="AUTOCOMMIT").connect() as conn:
        yield conn


@pytest.mark.parametrize("pre_ping", [True, False])
def test_killed_backends_and_pool_pre_ping(engines, admin, faults, figures, pre_ping):
    app = f"pool-test-killed-{pre_ping}"
    engine = engines(app_name=app, pool_size=3, pool_pre_ping=pre_ping)
    faults.hold_connections(engine, 3)
    assert faults.session_states(admin, app) == ["idle"] * 3
    assert faults.kill_backends(admin, app) == 3
    assert faults.session_states(admin, app) == []

    errors = faults.caller_errors(engine, uses=5)

    figures.record(f"caller errors after backends were killed, pool_pre_ping={pre_ping}", errors)
    if pre_ping:
        assert errors == 0  # each dead connection was replaced before the caller saw it
    else:
        assert errors == 1  # the first caller gets the error; the pool then starts afresh
    assert faults.caller_errors(engine, uses=3) == 0
    assert faults.session_states(admin, app) == ["idle"]


def test_session_closed_by_its_context_manager_leaves_nothing_open(engines, admin, faults):
    engine = engines(app_name="pool-test-closed")
    with Session(engine) as session:
        session.execute(text("select 1"))
        assert faults.session_states(admin, "pool-test-closed") == ["idle in transaction"]
    assert engine.pool.checkedout() == 0
    # The connection went back to the pool, rolled back: open on the server, but idle.
    assert faults.session_states(admin, "pool-test-closed") == ["idle"]


def test_leaked_session_stays_idle_in_transaction(engines, admin, faults):
    engine = engines(app_name="pool-test-leak")
    leaked = Session(engine)
    leaked.execute(text("select 1"))  # autobegin: the transaction stays open until close()
    assert engine.pool.checkedout() == 1
    assert faults.session_states(admin, "pool-test-leak") == ["idle in transaction"]
    leaked.close()
    assert engine.pool.checkedout() == 0
    assert faults.session_states(admin, "pool-test-leak") == ["idle"]


def test_main_reports_one_error_without_pre_ping_and_none_with_it(db, faults):
    assert faults.main(db.url) == {"pool_pre_ping=False": 1, "pool_pre_ping=True": 0}
