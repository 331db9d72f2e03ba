"""Per-connection limits and cancelled tasks, seen from PostgreSQL. PostgreSQL only."""

import asyncio
import os
import socket

import pytest
from sqlalchemy import create_engine, exc, text
from sqlalchemy.ext.asyncio import create_async_engine

pytestmark = pytest.mark.backends("postgresql")
SLOW = text("select pg_sleep(2)")


@pytest.fixture
def timeouts(example):
    return example("pool_timeouts")


def test_statement_timeout_cancels_a_slow_statement_on_psycopg(db, timeouts):
    engine = create_engine(db.url, connect_args=timeouts.statement_timeout_args(db.url, 200))
    with engine.connect() as conn:
        assert conn.scalar(text("show statement_timeout")) == "200ms"
        with pytest.raises(exc.OperationalError, match="statement timeout") as caught:
            conn.execute(SLOW)
        assert caught.value.orig.sqlstate == "57014"
    engine.dispose()


def test_asyncpg_takes_statement_timeout_as_a_server_setting(db, timeouts):
    async def run():
        args = timeouts.statement_timeout_args(db.async_url, 200)
        engine = create_async_engine(db.async_url, pool_size=1, connect_args=args)
        try:
            async with engine.connect() as conn:
                setting = await conn.scalar(text("show statement_timeout"))
                pid = await conn.scalar(text("select pg_backend_pid()"))
                try:
                    await conn.execute(SLOW)
                except exc.DBAPIError as error:  # asyncpg: a plain DBAPIError
                    code = error.orig.sqlstate
            async with engine.connect() as conn:  # the server cancelled; the session lives on
                same = pid == await conn.scalar(text("select pg_backend_pid()"))
            return setting, code, same
        finally:
            await engine.dispose()

    assert asyncio.run(run()) == ("200ms", "57014", True)


def test_asyncpg_command_timeout_raises_timeouterror_and_drops_the_connection(db):
    async def run():
        engine = create_async_engine(
            db.async_url, pool_size=1, connect_args={"command_timeout": 0.2}
        )
        try:
            async with engine.connect() as conn:
                pid = await conn.scalar(text("select pg_backend_pid()"))
                with pytest.raises(TimeoutError) as caught:
                    await conn.execute(SLOW)
                assert not isinstance(caught.value, exc.DBAPIError)  # except DBAPIError misses it
            async with engine.connect() as conn:
                return pid == await conn.scalar(text("select pg_backend_pid()"))
        finally:
            await engine.dispose()

    assert asyncio.run(run()) is False  # a new connection


def test_tcp_keepalive_options_reach_the_client_socket(db, timeouts):
    """libpq sets them on its own socket (the server's tcp_keepalives_* are another thing)."""
    engine = create_engine(db.url, connect_args=timeouts.TCP_KEEPALIVES)
    with engine.connect() as conn:
        fd = conn.connection.dbapi_connection.pgconn.socket
        with socket.socket(fileno=os.dup(fd)) as sock:
            options = [
                sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
                sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
                sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
                sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
                sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT),
            ]
    engine.dispose()
    assert options == [1, 30, 10, 3, 30_000]


def test_a_cancelled_task_commits_nothing_and_keeps_no_connection(db, example):
    found = asyncio.run(example("pool_cancel").main(db.async_url))
    # Cancelled while the server ran its statement: the connection is invalidated, the
    # server session ends (its transaction with it), the pool opens a new one next time.
    assert found["database"] == {
        "rows committed": 0,
        "old session alive": False,
        "same connection reused": False,
        "checked out": 0,
    }
    # Cancelled at another await: closing the session rolls back, the connection is reused.
    assert found["python"] == {
        "rows committed": 0,
        "old session alive": True,
        "same connection reused": True,
        "checked out": 0,
    }


def test_set_local_raises_the_timeout_for_one_transaction(db, timeouts):
    engine = create_engine(db.url, connect_args=timeouts.statement_timeout_args(db.url, 100))
    with engine.begin() as conn:
        conn.execute(text("select set_config('statement_timeout', '5000', true)"))
        conn.execute(text("select pg_sleep(0.3)"))  # longer than 100 ms: allowed here
    with engine.connect() as conn:
        assert conn.scalar(text("show statement_timeout")) == "100ms"
    engine.dispose()
