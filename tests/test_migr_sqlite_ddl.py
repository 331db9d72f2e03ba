"""A revision that fails halfway: what its DDL leaves behind on SQLite and PostgreSQL.

versions_halfway: h0001 creates table first, h0002 creates table second and then raises.
Each revision runs in its own transaction (the template's transaction_per_migration=True).
"""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import create_async_engine

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "migrations"
CLEAN = {"revision": "h0001", "tables": ["alembic_version", "first"]}


@pytest.fixture(autouse=True)
def no_database_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)


def table_names(url: str) -> list[str]:
    engine = create_engine(url)
    names = sorted(inspect(engine).get_table_names())
    engine.dispose()
    return names


@pytest.mark.backends("sqlite")
def test_default_sqlite_keeps_the_ddl_of_a_failed_revision(db, tmp_path, example):
    commands = example("migr_commands")
    config = commands.alembic_config(
        commands.new_project(tmp_path / "p", versions="versions_halfway"), db.url
    )
    engine = create_engine(db.url)  # no hooks: sqlite3's default transaction control
    with pytest.raises(RuntimeError, match="h0002 failed"):
        commands.upgrade_on(engine, config)
    assert commands.current_revision(config) == "h0001"
    assert table_names(db.url) == ["alembic_version", "first", "second"]  # second survived
    # Running it again (say, after fixing the revision) now fails on its first statement.
    with pytest.raises(OperationalError, match="table second already exists"):
        commands.upgrade_on(engine, config)
    engine.dispose()


def test_transactional_ddl_leaves_nothing_of_the_failed_revision(db, example):
    # PostgreSQL rolls the DDL back without help; SQLite does once SQLAlchemy sends BEGIN.
    default = {"revision": "h0001", "tables": ["alembic_version", "first", "second"]}
    assert example("migr_sqlite_ddl").main(db.url) == {
        "default": default if db.name == "sqlite" else CLEAN,
        "transactional_ddl": CLEAN,
    }


@pytest.mark.parametrize("fix", [False, True], ids=["default", "transactional-ddl"])
def test_async_drivers_aiosqlite_and_asyncpg(db, tmp_path, example, fix):
    commands = example("migr_commands")
    project = commands.new_project(tmp_path / "p", use_async=True, versions="versions_halfway")
    config = commands.alembic_config(project, db.async_url)

    async def run() -> None:
        engine = create_async_engine(db.async_url)
        if fix:
            example("migr_sqlite_ddl").transactional_ddl(engine.sync_engine)
        with pytest.raises(RuntimeError, match="h0002 failed"):
            await example("migr_async").upgrade_async(engine, config)
        await engine.dispose()

    asyncio.run(run())
    left = ["alembic_version", "first"] + (["second"] if db.name == "sqlite" and not fix else [])
    assert table_names(db.url) == left
    assert commands.current_revision(commands.alembic_config(project, db.url)) == "h0001"


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("use_async", [False, True], ids=["sync-env", "async-env"])
def test_rendered_env_py_makes_sqlite_ddl_transactional(db, tmp_path, example, use_async):
    commands = example("migr_commands")
    project = commands.new_project(tmp_path / "p", use_async=use_async, versions="versions_halfway")
    env = {
        **os.environ,
        "DATABASE_URL": db.async_url if use_async else db.url,
        "PYTHONPATH": str(EXAMPLES),
    }
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(project / "alembic.ini"), "upgrade", "head"],
        capture_output=True,
        text=True,
        env=env,
        cwd=project,
    )
    assert result.returncode == 1 and "h0002 failed" in result.stderr
    assert table_names(db.url) == CLEAN["tables"]
