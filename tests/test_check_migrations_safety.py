"""check_migrations.py touches no database but its throwaway one.

Projects whose env.py builds its own engine (from settings and an environment variable, sync; or
hard-coded, async) must never reach the project's database: an engine of the throwaway database's
kind is redirected to it (the run passes), anything else is refused before it connects. The
victims are real: a developer's SQLite file inside the project (its bytes must not change) and a
PostgreSQL database <test db>_victim with one table (no other table may appear). A SIGTERM mid-
migration drops the throwaway database; --drop-stale removes only unused ones of killed runs.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import (
    SERVER_URLS,
    _create_postgresql_database,
    _server_error,
    drop_postgresql_database,
)
from migcheck_tools import (
    FIXTURES,
    MADE,
    Batch,
    check,
    configure_line,
    database_exists,
    digest,
    install_checker,
    lock_warning,
    make_project,
    server_url,
    table_names,
)
from sqlalchemy import create_engine, make_url, text

PG = SERVER_URLS["postgresql"]
VICTIM = server_url(PG, f"{make_url(PG).database}_victim")
MAINTENANCE = server_url(PG, "postgres")  # the --url SKILL.md shows
SYNC_ENV = FIXTURES / "own_engine_sync" / "migrations" / "env.py"
ASYNC_ENV = FIXTURES / "own_engine_async" / "migrations" / "env.py"
ASYNC_SQLITE = "sqlite+aiosqlite:///dev.db"


def line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def victim_async() -> str:
    return make_url(VICTIM).set(drivername="postgresql+asyncpg").render_as_string(False)


SYNC_LINE = line_of(SYNC_ENV, "create_engine(DATABASE_URL")
ASYNC_LINE = line_of(ASYNC_ENV, "create_async_engine(DATABASE")
PASSED = [
    "PASS  upgrade base -> head: 2 revisions",
    "PASS  models match migrations: autogenerate finds no difference",
    "PASS  downgrade head -> base",
    "PASS  upgrade base -> head again: 2 revisions",
]
HOW = (
    "let env.py connect to config.get_main_option('sqlalchemy.url') or "
    "config.attributes['connection']"
)


def note(line: int, url: str) -> str:
    where = f"migrations/env.py:{line}"
    return f"NOTE  {where}: engine for {shown(url)} redirected to the throwaway database"


def refused(line: int, url: str, kind: str, hint: str) -> str:
    return (
        f"check_migrations: error: migrations/env.py:{line} builds an engine for {shown(url)}, "
        f"not the throwaway {kind} database: refused before connecting; {hint}{HOW}\n"
    )


def developer_database(project: Path) -> None:
    """The developer's own app.db, with data, inside the project."""
    with sqlite3.connect(project / "app.db") as conn:
        conn.execute("create table keep (note text)")
        conn.execute("insert into keep values ('mine')")
    conn.close()


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    return install_checker(tmp_path_factory.mktemp("skills"))


@pytest.fixture(scope="module")
def victim():
    """<test db>_victim with one table, or None without a PostgreSQL server."""
    if _server_error("postgresql") is not None:
        yield None
        return
    admin = create_engine(MAINTENANCE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        _create_postgresql_database(conn, make_url(VICTIM).database)
    admin.dispose()
    engine = create_engine(VICTIM)
    with engine.begin() as conn:
        conn.execute(text("create table if not exists sentinel (id int)"))
    engine.dispose()
    yield VICTIM
    drop_postgresql_database(VICTIM)


@pytest.fixture(scope="module")
def runs(installed, victim, tmp_path_factory):
    base = tmp_path_factory.mktemp("projects")
    batch = Batch()

    def job(key: str, overlay: str, *args: str, env=None, sqlite_file=False, async_url=None):
        project = make_project(base / key, overlay)
        if sqlite_file:
            developer_database(project)
        if async_url is not None:
            env_py = project / "migrations" / "env.py"
            env_py.write_text(env_py.read_text().replace(ASYNC_SQLITE, async_url))
        batch.submit(key, lambda: (project, check(installed, project, *args, env=env)))

    job("sync sqlite", "own_engine_sync", sqlite_file=True)
    job("async sqlite", "own_engine_async")
    if victim is not None:
        on_victim = {"APP_DATABASE_URL": victim}
        job("sync victim on sqlite", "own_engine_sync", env=on_victim)
        job("sync victim on pg", "own_engine_sync", "--url", MAINTENANCE, env=on_victim)
        job("sync app.db on pg", "own_engine_sync", "--url", MAINTENANCE, sqlite_file=True)
        job("async victim on sqlite", "own_engine_async", async_url=victim_async())
        job(
            "async victim on pg", "own_engine_async", "--url", MAINTENANCE, async_url=victim_async()
        )
    yield batch
    batch.close()


@pytest.mark.backends("sqlite")
def test_settings_url_to_the_project_sqlite_file_is_redirected(db, runs):
    project, result = runs.result("sync sqlite")
    assert result == (
        0,
        ["PASS  single head: 0002", note(SYNC_LINE, "sqlite:///app.db"), *PASSED,
         "SKIP  squawk lint: PostgreSQL only (pass --url)"],
        "",
    )  # fmt: skip
    with sqlite3.connect(project / "app.db") as conn:  # check() also compared its bytes
        assert conn.execute("select name from sqlite_master").fetchall() == [("keep",)]
    conn.close()


@pytest.mark.backends("sqlite")
def test_async_env_py_with_a_hard_coded_sqlite_url_is_redirected(db, runs):
    project, result = runs.result("async sqlite")
    assert result == (
        0,
        ["PASS  single head: 0002", note(ASYNC_LINE, ASYNC_SQLITE), *PASSED,
         "SKIP  squawk lint: PostgreSQL only (pass --url)"],
        "",
    )  # fmt: skip
    assert not (project / "dev.db").exists()


@pytest.mark.backends("postgresql")
def test_a_postgresql_url_on_the_sqlite_run_is_refused_before_connecting(db, runs, victim):
    hint = (
        "pass --url postgresql+psycopg://USER@HOST/postgres to check on PostgreSQL (the "
        "project's engine is then redirected there), or "
    )
    for key, line, url in [
        ("sync victim on sqlite", SYNC_LINE, victim),
        ("async victim on sqlite", ASYNC_LINE, victim_async()),
    ]:
        _, result = runs.result(key)
        assert result == (2, ["PASS  single head: 0002"], refused(line, url, "sqlite", hint))
    assert table_names(victim) == {"sentinel"}


@pytest.mark.backends("postgresql")
def test_the_project_postgresql_database_is_swapped_for_the_throwaway_one(db, runs, victim):
    """The run passes on the throwaway database; the lint warns once, as these env.py files
    set no lock_timeout (a warning alone exits 0)."""
    first = "migrations/versions/0001_create_author_and_book.py:25"
    for key, line, url, env_py in [
        ("sync victim on pg", SYNC_LINE, victim, SYNC_ENV),
        ("async victim on pg", ASYNC_LINE, victim_async(), ASYNC_ENV),
    ]:
        _, result = runs.result(key)
        lint = [
            "NOTE  squawk lint: all 2 revisions (not a git repository; --since REV narrows)",
            lock_warning(configure_line(env_py), first, 2),
        ]
        assert result == (0, ["PASS  single head: 0002", note(line, url), *PASSED, *lint], "")
    assert table_names(victim) == {"sentinel"}


@pytest.mark.backends("postgresql")
def test_the_project_sqlite_file_on_the_postgresql_run_is_refused(db, runs):
    hint = (
        "give the project a postgresql URL (any: it is redirected to the throwaway database), or "
    )
    project, result = runs.result("sync app.db on pg")  # check() compared app.db's bytes
    stderr = refused(SYNC_LINE, "sqlite:///app.db", "postgresql", hint)
    assert result == (2, ["PASS  single head: 0002"], stderr)


def sleeping_in(name: str) -> bool:
    engine = create_engine(MAINTENANCE)
    with engine.connect() as conn:
        found = conn.scalar(
            text(
                "select count(*) from pg_stat_activity where datname = :n "
                "and state = 'active' and query like '%pg_sleep%'"
            ),
            {"n": name},
        )
    engine.dispose()
    return bool(found)


@pytest.mark.backends("postgresql")
def test_sigterm_mid_migration_drops_the_throwaway_database(db, installed, tmp_path):
    project = make_project(tmp_path, "slow")
    before = digest(project)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    checker = subprocess.Popen(
        [sys.executable, str(installed), "--url", db.url, str(project)],
        env={**os.environ, "TMPDIR": str(tmp)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        name = MADE.search(checker.stdout.readline())[1]
        deadline = time.monotonic() + 60
        while not sleeping_in(name):  # revision 0003 runs SELECT pg_sleep(60)
            assert time.monotonic() < deadline and checker.poll() is None
            time.sleep(0.1)
        checker.send_signal(signal.SIGTERM)
        stdout, stderr = checker.communicate(timeout=60)
    finally:
        checker.kill()
    assert (checker.returncode, stderr) == (
        128 + signal.SIGTERM,
        "check_migrations: stopped by SIGTERM; nothing left behind\n",
    )
    assert not database_exists(db.url, name)
    assert digest(project) == before and list(tmp.iterdir()) == []


@pytest.mark.backends("postgresql")
def test_drop_stale_drops_only_unused_throwaway_databases(db, installed, tmp_path):
    prefix = f"{make_url(db.url).database}_migcheck_"
    stale, busy, other = f"{prefix}0000dead", f"{prefix}0000beef", f"{prefix}keep_me"
    admin = create_engine(MAINTENANCE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in (stale, busy, other):
            conn.execute(text(f'create database "{name}"'))
    in_use = create_engine(server_url(db.url, busy))
    try:
        with in_use.connect():  # a run still going holds a connection to its database
            done = subprocess.run(
                [sys.executable, str(installed), "--url", db.url, "--drop-stale"],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=60,
            )
        host = make_url(db.url).host
        assert (done.returncode, done.stdout.splitlines(), done.stderr) == (
            0,
            [
                f"dropped {stale}",
                f"kept    {busy}: in use (a run still going)",
                f"1 dropped, 1 in use: {prefix}* on {host}",
            ],
            "",
        )
        assert [database_exists(db.url, n) for n in (stale, busy, other)] == [False, True, True]
    finally:
        in_use.dispose()
        for name in (stale, busy, other):
            drop_postgresql_database(server_url(db.url, name))
        admin.dispose()
