"""The rendered env.py: which URL it migrates, which tables autogenerate may drop."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "migrations"


def revision_and_authors(url: str) -> tuple[str | None, list[str]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        tables = inspect(conn).get_table_names()
        revision = (
            conn.scalar(text("select version_num from alembic_version"))
            if "alembic_version" in tables
            else None
        )
        names = conn.scalars(text("select name from author")).all() if "author" in tables else []
    engine.dispose()
    return revision, list(names)


@pytest.fixture
def victim(tmp_path, example):
    """The developer's database, at head with a row in it; DATABASE_URL points at it."""
    commands = example("migr_commands")
    path = tmp_path / "developer.db"
    command.upgrade(
        commands.alembic_config(commands.new_project(tmp_path / "v"), f"sqlite:///{path}"), "head"
    )
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("insert into author (name, slug) values ('Ada', 'ada')"))
    engine.dispose()
    return path


@pytest.mark.parametrize("use_async", [False, True], ids=["sync-env", "async-env"])
def test_a_url_set_in_code_beats_database_url(
    db, tmp_path, example, monkeypatch, victim, use_async
):
    commands = example("migr_commands")
    project = commands.new_project(tmp_path / "p", use_async=use_async)
    driver = "sqlite+aiosqlite" if use_async else "sqlite"
    monkeypatch.setenv("DATABASE_URL", f"{driver}:///{victim}")  # a dev shell, docker-compose, CI

    scratch = commands.alembic_config(project, db.async_url if use_async else db.url)
    command.upgrade(scratch, "head")
    assert revision_and_authors(db.url) == ("0004", [])
    command.downgrade(scratch, "base")  # a test's teardown
    assert revision_and_authors(db.url) == (None, [])
    assert revision_and_authors(f"sqlite:///{victim}") == ("0004", ["Ada"])  # untouched


def test_x_url_on_the_command_line_beats_database_url(db, tmp_path, example, victim):
    project = example("migr_commands").new_project(tmp_path / "p")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{victim}", "PYTHONPATH": str(EXAMPLES)}
    for args in (["upgrade", "head"], ["downgrade", "base"]):
        result = subprocess.run(
            [sys.executable, "-m", "alembic", "-c", str(project / "alembic.ini")]
            + ["-x", f"url={db.url}", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=project,
        )
        assert result.returncode == 0, result.stderr
    assert revision_and_authors(f"sqlite:///{victim}") == ("0004", ["Ada"])
    assert inspect_tables(db.url) == ["alembic_version"]


def test_database_url_still_beats_the_ini_file(db, tmp_path, example, monkeypatch):
    # What deployments rely on: no URL in the committed alembic.ini, the environment supplies it.
    from alembic.config import Config

    project = example("migr_commands").new_project(tmp_path / "p")
    monkeypatch.setenv("DATABASE_URL", db.url)
    config = Config(project / "alembic.ini")
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")
    assert revision_and_authors(db.url) == ("0004", [])


def test_a_lent_connection_beats_database_url(db, tmp_path, example, monkeypatch, victim):
    commands = example("migr_commands")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{victim}")
    config = commands.alembic_config(commands.new_project(tmp_path / "p"), "sqlite:///unused.db")
    engine = create_engine(db.url)
    commands.upgrade_on(engine, config)
    engine.dispose()
    assert revision_and_authors(db.url) == ("0004", [])
    assert revision_and_authors(f"sqlite:///{victim}") == ("0004", ["Ada"])


def inspect_tables(url: str) -> list[str]:
    engine = create_engine(url)
    names = sorted(inspect(engine).get_table_names())
    engine.dispose()
    return names
