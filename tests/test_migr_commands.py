"""Alembic commands on the rendered templates: upgrade, downgrade, the CLI, async, merges."""

import asyncio
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import create_engine, inspect, text

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "migrations"


@pytest.fixture(autouse=True)
def no_database_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)  # a developer's shell stays out of it


@pytest.fixture
def config(db, tmp_path, example):
    commands = example("migr_commands")
    return commands.alembic_config(commands.new_project(tmp_path / "project"), db.url)


def rows(url, sql):
    engine = create_engine(url)
    with engine.connect() as conn:
        result = [tuple(row) for row in conn.execute(text(sql))]
    engine.dispose()
    return result


def test_main_upgrades_downgrades_and_upgrades_again(db, example):
    assert example("migr_commands").main(db.url) == {
        "after_upgrade": "0004",
        "after_downgrade": None,
        "after_second_upgrade": "0004",
        "authors_after_round_trip": 0,  # downgrade base dropped the tables
    }


def test_data_survives_each_step_down_and_up(db, config, example):
    current = example("migr_commands").current_revision
    command.upgrade(config, "0001")
    engine = create_engine(db.url)
    with engine.begin() as conn:
        conn.execute(text("insert into author (id, name) values (1, 'Ada Lovelace')"))
        conn.execute(
            text("insert into book (title, pages, blurb, author_id) values ('Notes', 40, 'B', 1)")
        )
    engine.dispose()

    command.upgrade(config, "head")
    assert current(config) == "0004"
    assert rows(db.url, "select name, slug from author") == [("Ada Lovelace", "ada-lovelace")]
    assert rows(db.url, "select title, summary from book") == [("Notes", "B")]

    command.downgrade(config, "-1")  # undo the rename: the values move back
    assert rows(db.url, "select title, blurb from book") == [("Notes", "B")]
    command.downgrade(config, "0001")  # slug dropped through batch mode, rows kept
    assert "slug" not in {c["name"] for c in inspect_columns(db.url, "author")}
    assert rows(db.url, "select id, name from author") == [(1, "Ada Lovelace")]

    command.upgrade(config, "head")
    assert rows(db.url, "select slug from author") == [("ada-lovelace",)]
    command.downgrade(config, "base")
    assert current(config) is None
    assert set(table_names(db.url)) == {"alembic_version"}


def inspect_columns(url, table):
    engine = create_engine(url)
    columns = inspect(engine).get_columns(table)
    engine.dispose()
    return columns


def table_names(url):
    engine = create_engine(url)
    names = inspect(engine).get_table_names()
    engine.dispose()
    return names


def run_cli(project: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    # As a user runs it: the URL comes from the environment, models from PYTHONPATH.
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(EXAMPLES)}
    return subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(project / "alembic.ini"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=project,
    )


@pytest.mark.parametrize("use_async", [False, True], ids=["sync-env", "async-env"])
def test_alembic_cli_round_trip(db, tmp_path, example, use_async):
    commands = example("migr_commands")
    project = commands.new_project(tmp_path / "project", use_async=use_async)
    url = db.async_url if use_async else db.url
    check = commands.alembic_config(project, db.url)
    for args, expected in ((["upgrade", "head"], "0004"), (["downgrade", "base"], None)):
        result = run_cli(project, url, *args)
        assert result.returncode == 0, result.stderr
        assert commands.current_revision(check) == expected
    result = run_cli(project, url, "upgrade", "head")
    assert result.returncode == 0, result.stderr
    current = run_cli(project, url, "current")
    assert "0004 (head)" in current.stdout, current.stderr
    assert rows(db.url, "select count(*) from author") == [(0,)]


def test_cli_offline_mode_prints_sql_without_touching_the_database(db, tmp_path, example):
    project = example("migr_commands").new_project(tmp_path / "project")
    result = run_cli(project, db.url, "upgrade", "head", "--sql")
    if db.name == "sqlite":
        # Batch mode on SQLite reflects the live table to copy it: no --sql scripts there.
        assert result.returncode != 0
        assert "batch mode with dialect sqlite requires a live database" in result.stderr
    else:
        assert result.returncode == 0, result.stderr
        assert "CREATE TABLE author" in result.stdout
        assert "ALTER TABLE author ALTER COLUMN slug SET NOT NULL" in result.stdout
        assert "ALTER TABLE book RENAME blurb TO summary" in result.stdout
    assert table_names(db.url) == []


def test_async_env_runs_from_sync_code(db, tmp_path, example):
    # No event loop is running here, so env.py starts one with asyncio.run().
    commands = example("migr_commands")
    project = commands.new_project(tmp_path / "project", use_async=True)
    command.upgrade(commands.alembic_config(project, db.async_url), "head")
    assert commands.current_revision(commands.alembic_config(project, db.url)) == "0004"


def test_async_upgrade_from_a_running_loop_keeps_rows(db, example):
    revision, authors = asyncio.run(example("migr_async").main(db.async_url))
    assert (revision, authors) == ("0004", 1)


def test_upgrade_inside_a_running_loop_without_a_lent_connection_fails(db, tmp_path, example):
    commands = example("migr_commands")
    config = commands.alembic_config(
        commands.new_project(tmp_path / "project", use_async=True), db.async_url
    )

    async def naive():
        command.upgrade(config, "head")

    with pytest.raises(RuntimeError, match="inside a running event loop: lend it a connection"):
        asyncio.run(naive())


def test_merging_two_heads(db, config, example):
    commands = example("migr_commands")
    command.upgrade(config, "head")
    left = command.revision(config, message="add isbn").revision
    right = command.revision(config, message="add price", head="0004", splice=True).revision

    with pytest.raises(CommandError, match="Multiple head revisions"):
        command.upgrade(config, "head")
    command.upgrade(config, "heads")  # upgrades each branch

    merge = commands.merge_heads(config, "merge isbn and price")
    config.stdout = io.StringIO()
    command.heads(config)
    assert config.stdout.getvalue().split() == [merge, "(head)"]

    command.upgrade(config, "head")
    assert commands.current_revision(config) == merge
    parents = ScriptDirectory.from_config(config).get_revision(merge).down_revision
    assert set(parents) == {left, right}
