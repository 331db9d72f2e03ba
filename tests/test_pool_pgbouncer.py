"""A real pgbouncer in transaction mode in front of the test database: prepared statements.

PostgreSQL only. The fixture starts pgbouncer on a free port (as `nobody` when the tests run as
root, which pgbouncer refuses) and stops it; without the binary the tests skip locally and fail
with CI=true (`apt-get install pgbouncer`; .ci/run installs it).
"""

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid

import pytest
from conftest import EXAMPLES, IN_CI
from sqlalchemy import NullPool, create_engine, literal, select, text
from sqlalchemy.ext.asyncio import create_async_engine

pytestmark = pytest.mark.backends("postgresql")
EXAMPLE_PATH = os.pathsep.join(sorted({str(p.parent) for p in EXAMPLES.rglob("*.py")}))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"pgbouncer exited: {process.communicate()[0][-2000:]}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail(f"pgbouncer did not listen on {port} within {seconds} s")


@pytest.fixture
def bouncer(db, tmp_path):
    """The test database's URL through pgbouncer (transaction mode, 2 server connections)."""
    binary = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")
    if binary is None:
        message = "pgbouncer is not installed (apt-get install pgbouncer)"
        pytest.fail(f"CI=true and {message}") if IN_CI else pytest.skip(message)
    target = db.sa_url
    password = f" password={target.password}" if target.password else ""
    port = free_port()
    config = tmp_path / "pgbouncer.ini"
    config.write_text(
        "[databases]\n"
        f"{target.database} = host={target.host or '127.0.0.1'} port={target.port or 5432} "
        f"dbname={target.database} user={target.username}{password}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        "auth_type = any\npool_mode = transaction\ndefault_pool_size = 2\n"
    )
    as_nobody = ["-u", "nobody"] if os.geteuid() == 0 else []
    process = subprocess.Popen(
        [binary, *as_nobody, str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_port(port, process)
        yield target.set(host="127.0.0.1", port=port)
    finally:
        process.terminate()
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


@pytest.fixture
def pgb(example):
    return example("pool_pgbouncer")


def async_url(url) -> str:
    return url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def across(pgb, engine) -> str:
    async def run():
        try:
            return await pgb.across_server_connections(engine)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_asyncpg_defaults_lose_a_cached_statement_on_the_next_server_connection(bouncer, pgb):
    outcome = across(pgb, create_async_engine(async_url(bouncer)))
    # SQLAlchemy 2.0 puts the asyncpg class name first: "<class '...'>: prepared statement ..."
    assert 'prepared statement "__asyncpg_stmt_' in outcome
    assert outcome.endswith("does not exist")


def test_pgbouncer_async_engine_survives_the_switch(bouncer, pgb):
    assert across(pgb, pgb.pgbouncer_async_engine(async_url(bouncer))) == "ok: 1"


def first_query_in_a_fresh_process(url: str, engine_kind: str) -> str:
    program = EXAMPLES / "pooling" / "pool_pgbouncer.py"
    result = subprocess.run(
        [sys.executable, str(program), url, engine_kind],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": EXAMPLE_PATH},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


def test_a_second_process_reuses_statement_names_unless_the_caches_are_off(bouncer, pgb):
    url = async_url(bouncer)
    # Every process numbers its statements from 1; the first left its cached ones behind.
    assert first_query_in_a_fresh_process(url, "default") == "ok: 7"
    collided = first_query_in_a_fresh_process(url, "default")
    assert 'prepared statement "__asyncpg_stmt_' in collided
    assert collided.endswith("already exists")
    # The recipe's statements are unnamed: no name to collide, whatever this process's counter.
    assert asyncio.run(pgb.one_query(url, recipe=True)) == "ok: 7"


def test_unique_statement_names_leave_named_statements_on_the_server(bouncer, pgb):
    """Why the recipe has no prepared_statement_name_func: uuid names are named statements."""

    async def left_behind(engine) -> int:
        try:
            for n in range(5):  # five requests, one after another
                async with engine.connect() as conn:
                    await conn.scalar(select(literal(n)))
                    await conn.commit()
            async with engine.connect() as conn:  # lands on the server connection they used
                return await conn.scalar(text("select count(*) from pg_prepared_statements"))
        finally:
            await engine.dispose()

    url = async_url(bouncer)
    assert asyncio.run(left_behind(pgb.pgbouncer_async_engine(url))) == 0
    uuid_names = {
        "statement_cache_size": 0,
        "prepared_statement_cache_size": 0,
        "prepared_statement_name_func": lambda: f"__asyncpg_{uuid.uuid4()}__",
    }
    named = create_async_engine(url, poolclass=NullPool, connect_args=uuid_names)
    assert asyncio.run(left_behind(named)) >= 1


@pytest.mark.parametrize("prepare_threshold", ["default", None])
def test_psycopg_needs_prepare_threshold_none_behind_pgbouncer(bouncer, example, prepare_threshold):
    url = bouncer.render_as_string(hide_password=False)
    if prepare_threshold is None:
        engine = example("pool_fork").pgbouncer_engine(url)
    else:
        engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as first:
        for _ in range(6):  # psycopg prepares a statement once it has run 5 times
            first.execute(text("select 1 + :x"), {"x": 1})
        first.commit()
        with engine.connect() as second:
            second.execute(text("select 2"))  # holds that server connection
            try:
                outcome = f"ok: {first.execute(text('select 1 + :x'), {'x': 1}).scalar()}"
            except Exception as error:  # noqa: BLE001  (the message is the assertion)
                outcome = str(error.__cause__ or error).splitlines()[0]
            second.commit()
    engine.dispose()
    if prepare_threshold is None:
        assert outcome == "ok: 2"
    else:
        assert outcome == 'prepared statement "_pg3_0" does not exist'
