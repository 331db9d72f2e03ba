import os
import time

import pytest
from sqlalchemy import NullPool, create_engine, text


@pytest.fixture
def fork(example):
    return example("pool_fork")


@pytest.fixture
def engine(db, example):
    engine = example("pool_settings").make_engine(db.url, app_name="pool-fork-test")
    example("pool_events").label_connections(engine)
    yield engine
    engine.dispose()


def backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("select pg_backend_pid()"))


def test_child_connects_afresh_and_parent_keeps_its_pooled_connection(engine, fork):
    parent = fork.opened_by(engine)
    assert parent == (os.getpid(), 1)
    child_pid, child_conn_opened_by = fork.run_in_fork(engine, fork.in_forked_child)
    assert child_pid != os.getpid()
    assert child_conn_opened_by == child_pid  # not the parent's inherited connection
    assert fork.opened_by(engine) == parent  # still the same pooled connection, and it works


@pytest.mark.backends("postgresql")
def test_child_gets_its_own_server_session(engine, fork):
    """PostgreSQL only: a backend pid identifies the server session; SQLite has none."""
    parent_backend = backend_pid(engine)

    def child_backend(engine):
        fork.in_forked_child(engine)
        return backend_pid(engine)

    assert fork.run_in_fork(engine, child_backend) != parent_backend
    assert backend_pid(engine) == parent_backend


@pytest.mark.backends("postgresql")
def test_plain_dispose_in_the_child_ends_the_parents_session(db, example, fork):
    """PostgreSQL only: closing a shared socket ends the server session; SQLite has no server."""
    engine = example("pool_settings").make_engine(
        db.url, app_name="pool-fork-close", pool_pre_ping=False
    )
    backend_pid(engine)
    fork.run_in_fork(engine, fork.dispose_closing)
    # The child's close() told the server goodbye on the parent's connection.
    assert example("pool_faults").caller_errors(engine, uses=2) == 1
    engine.dispose()


def test_nullpool_opens_a_connection_per_checkout_and_keeps_none(db, example, fork):
    engine = fork.pgbouncer_engine(db.url)
    checkouts = example("pool_events").CheckoutLog(engine)
    for _ in range(3):
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    assert checkouts.counts == {"connect": 3, "checkout": 3, "checkin": 3}
    assert engine.pool.status() == "NullPool"
    engine.dispose()


@pytest.mark.backends("postgresql")
def test_nullpool_leaves_no_idle_session_on_the_server(db, example, fork):
    """PostgreSQL only: idle sessions are visible in pg_stat_activity; SQLite has no server."""
    faults = example("pool_faults")
    url = db.sa_url.update_query_dict({"application_name": "pool-nullpool"})
    engine = fork.pgbouncer_engine(url.render_as_string(hide_password=False))
    admin = example("pool_settings").make_engine(db.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as admin_conn:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
            assert faults.session_states(admin_conn, "pool-nullpool") == ["idle in transaction"]
        # The client hung up at close; the server's backend may take a moment to exit.
        deadline = time.monotonic() + 5
        while faults.session_states(admin_conn, "pool-nullpool") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert faults.session_states(admin_conn, "pool-nullpool") == []
    admin.dispose()
    engine.dispose()


@pytest.mark.backends("postgresql")
def test_pgbouncer_engine_never_prepares_statements_on_the_server(db, fork):
    """PostgreSQL only: server-side prepared statements are what pgbouncer may lose."""

    def prepared_after_repeats(engine) -> int:
        with engine.connect() as conn:
            for i in range(8):
                conn.execute(text("select cast(:x as integer) + 1"), {"x": i})
            count = conn.scalar(text("select count(*) from pg_prepared_statements"))
        engine.dispose()
        return count

    assert prepared_after_repeats(fork.pgbouncer_engine(db.url)) == 0
    assert prepared_after_repeats(create_engine(db.url, poolclass=NullPool)) >= 1  # default
