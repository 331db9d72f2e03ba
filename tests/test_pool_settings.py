import asyncio
import time

import pytest
from sqlalchemy import create_engine, exc, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import Session


@pytest.fixture
def settings(example):
    return example("pool_settings")


@pytest.fixture
def engines(settings, example):
    """make(url, **overrides) -> an engine with labelled connections; all disposed at the end."""
    label = example("pool_events").label_connections
    made = []

    def make(url, **overrides):
        engine = settings.make_engine(url, **overrides)
        label(engine)
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.dispose()


def serial(engine) -> int:
    with engine.connect() as conn:
        conn.execute(text("select 1"))
        return conn.info["serial"]


def test_overflow_opens_extra_connections_and_closes_them_on_return(db, settings, engines):
    engine = engines(db.url, pool_size=2, max_overflow=1, pool_timeout=0.5)
    held = [engine.connect() for _ in range(3)]
    status = settings.pool_status(engine)
    assert (status["checked_out"], status["overflow"]) == (3, 1)
    with pytest.raises(exc.TimeoutError, match="QueuePool limit of size 2 overflow 1 reached"):
        engine.connect()
    for conn in held:
        conn.close()
    status = settings.pool_status(engine)
    # pool_size connections stay open; the overflow one was closed when it came back.
    assert (status["checked_out"], status["checked_in"], status["overflow"]) == (0, 2, 0)


def test_exhausted_pool_raises_timeout_error_then_recovers(db, settings, engines):
    engine = engines(db.url, pool_size=1, max_overflow=0, pool_timeout=0.5)
    first = engine.connect()
    with pytest.raises(exc.TimeoutError, match="QueuePool limit of size 1 overflow 0 reached"):
        engine.connect()
    assert settings.answer_or_busy(engine) == "busy"
    first.close()
    assert settings.answer_or_busy(engine) == "ok"


def test_pool_status_counts_connections_in_use(db, settings, engines):
    engine = engines(db.url, pool_size=5, max_overflow=10)
    assert settings.pool_status(engine)["checked_out"] == 0
    held = [engine.connect() for _ in range(2)]
    status = settings.pool_status(engine)
    assert (status["pool_size"], status["checked_out"], status["overflow"]) == (5, 2, 0)
    assert "Current Checked out connections: 2" in status["status"]
    for conn in held:
        conn.close()
    assert settings.pool_status(engine)["checked_in"] == 2


def test_closed_session_returns_its_connection(db, settings, engines):
    engine = engines(db.url)
    with Session(engine) as session:
        session.execute(text("select 1"))
        assert engine.pool.checkedout() == 1
    assert engine.pool.checkedout() == 0


def test_lifo_reuses_the_newest_connection_and_fifo_rotates(db, engines):
    served = {}
    for lifo in (True, False):
        engine = engines(db.url, pool_size=3, pool_use_lifo=lifo)
        held = [engine.connect() for _ in range(3)]
        for conn in held:
            conn.close()
        served[lifo] = {serial(engine) for _ in range(6)}
    assert len(served[True]) == 1  # the two spare connections stay idle and can age out
    assert served[False] == {1, 2, 3}  # every connection kept busy, none ever idle long


def test_pool_recycle_replaces_a_connection_older_than_the_limit(db, engines):
    engine = engines(db.url, pool_recycle=1)
    assert serial(engine) == 1
    assert serial(engine) == 1  # young: reused
    time.sleep(1.2)
    assert serial(engine) == 2  # older than pool_recycle: closed and replaced at checkout


def test_peak_connections_multiplies_processes_by_the_pool(settings):
    assert settings.peak_connections(processes=4, pool_size=5, max_overflow=10) == 60


def test_size_pool_gives_one_connection_per_thread_within_the_budget(settings):
    pool_size, max_overflow = settings.size_pool(processes=4, threads=8, max_connections=100)
    assert (pool_size, max_overflow) == (8, 8)
    assert settings.peak_connections(4, pool_size, max_overflow) <= 100 - 10
    # A tighter server leaves less room for overflow, never less than a connection per thread.
    assert settings.size_pool(processes=4, threads=8, max_connections=50) == (8, 2)


def test_size_pool_refuses_a_deployment_that_cannot_fit(settings):
    with pytest.raises(ValueError, match="use fewer workers or pgbouncer"):
        settings.size_pool(processes=8, threads=16, max_connections=100)


@pytest.mark.backends("postgresql")
def test_server_budget_leaves_out_superuser_slots(db, settings, engines):
    """PostgreSQL only: SQLite has no server and no connection limit."""
    engine = engines(db.url)
    with engine.connect() as conn:
        budget = settings.server_budget(conn)
        max_connections = int(conn.scalar(text("show max_connections")))
    assert 0 < budget < max_connections


SHOW_NAME = text("select application_name from pg_stat_activity where pid = pg_backend_pid()")


@pytest.mark.backends("postgresql")
def test_application_name_shows_in_pg_stat_activity_on_psycopg_and_asyncpg(db, settings):
    engine = create_engine(db.url, connect_args=settings.name_connections(db.url, "billing"))
    with engine.connect() as conn:
        assert conn.scalar(SHOW_NAME) == "billing"
    engine.dispose()

    async def on_asyncpg(connect_args):
        engine = create_async_engine(db.async_url, connect_args=connect_args)
        try:
            async with engine.connect() as conn:
                return await conn.scalar(SHOW_NAME)
        finally:
            await engine.dispose()

    assert settings.name_connections(db.async_url, "billing") != {"application_name": "billing"}
    named = asyncio.run(on_asyncpg(settings.name_connections(db.async_url, "billing")))
    assert named == "billing"
    # psycopg's form is not an asyncpg argument:
    with pytest.raises(TypeError, match="unexpected keyword argument 'application_name'"):
        asyncio.run(on_asyncpg({"application_name": "billing"}))


@pytest.mark.backends("postgresql")
def test_lifo_spares_outlive_pool_recycle_until_the_server_closes_them(db, settings):
    """pool_recycle is checked at checkout only, and LIFO never checks the spares out."""

    def lifo_engine(app_name, **connect_args):
        return create_engine(
            db.url,
            **{**settings.POOL_SETTINGS, "pool_size": 3, "pool_recycle": 1},
            connect_args={"application_name": app_name, **connect_args},
        )

    recycle_only = lifo_engine("lifo-recycle")
    server_timeout = lifo_engine("lifo-idle-timeout", options="-c idle_session_timeout=1000")
    burst = {}
    for engine in (recycle_only, server_timeout):
        held = [engine.connect() for _ in range(3)]  # a burst opens three connections
        burst[engine] = {conn.connection.dbapi_connection.info.backend_pid for conn in held}
        for conn in held:
            conn.close()
    time.sleep(1.5)  # all three are now older than pool_recycle and idle past the timeout
    errors = 0
    for engine in (recycle_only, server_timeout):
        for _ in range(6):
            try:
                with engine.connect() as conn:
                    conn.execute(text("select 1"))
            except exc.DBAPIError:
                errors += 1
    with recycle_only.connect() as conn:
        alive = set(
            conn.scalars(
                text("select pid from pg_stat_activity where application_name like 'lifo-%'")
            )
        )
    # recycle: only the connection LIFO handed out was replaced; both spares stay open.
    assert len(burst[recycle_only] & alive) == 2
    # idle_session_timeout: the server closed all three; pre-ping replaced the one in use.
    assert burst[server_timeout] & alive == set()
    assert errors == 0
    recycle_only.dispose()
    server_timeout.dispose()
