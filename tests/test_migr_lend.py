"""Lending a connection to Alembic (upgrade_on, upgrade_async), env.py's side, the lock."""

import asyncio
import threading
import time

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

CHAIN_HEAD = {"versions_app": "0004", "versions_pg": "pg0006"}

FAILING_REVISION = '''"""Creates a table, then fails."""

import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("half_done", sa.Column("id", sa.Integer(), primary_key=True))
    raise RuntimeError("revision {revision} failed halfway")


def downgrade() -> None:
    op.drop_table("half_done")
'''


@pytest.fixture(autouse=True)
def no_database_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)  # a developer's shell stays out of it


def add_failing_revision(project, down: str, revision: str = "fails") -> None:
    path = project / "migrations" / "versions" / f"migr_{revision}.py"
    path.write_text(FAILING_REVISION.format(revision=revision, down=down))


def index_is_valid(url: str) -> bool | None:
    engine = create_engine(url)
    with engine.connect() as conn:
        valid = conn.scalar(
            text(
                "select indisvalid from pg_index join pg_class on pg_class.oid = indexrelid "
                "where relname = 'ix_event_user_id'"
            )
        )
    engine.dispose()
    return valid


def lend_and_fail(db, tmp_path, example, versions: str, mode: str) -> None:
    """Upgrade to the chain's head through a lent connection, then through a failing revision."""
    commands = example("migr_commands")
    project = commands.new_project(tmp_path / "p", use_async=mode == "async", versions=versions)
    add_failing_revision(project, down=CHAIN_HEAD[versions])
    head = CHAIN_HEAD[versions]
    if mode == "sync":
        config = commands.alembic_config(project, db.url)
        engine = create_engine(db.url)
        commands.upgrade_on(engine, config, head)  # autocommit_block() revisions run too
        with pytest.raises(RuntimeError, match="revision fails failed halfway"):
            commands.upgrade_on(engine, config, "head")
        engine.dispose()
    else:
        upgrade_async = example("migr_async").upgrade_async
        config = commands.alembic_config(project, db.async_url)

        async def run() -> None:
            engine = create_async_engine(db.async_url)
            await upgrade_async(engine, config, head)
            with pytest.raises(RuntimeError, match="revision fails failed halfway"):
                await upgrade_async(engine, config, "head")
            await engine.dispose()

        asyncio.run(run())

    assert "connection" not in config.attributes  # no closed connection left for the next one
    assert commands.current_revision(commands.alembic_config(project, db.url)) == head
    if versions == "versions_pg":
        assert index_is_valid(db.url) is True  # CREATE INDEX CONCURRENTLY ran and committed

    # The next command, without a lent connection, opens its own and works.
    command.downgrade(config, "base")
    assert commands.current_revision(commands.alembic_config(project, db.url)) is None


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_lent_connection_on_the_portable_chain(db, tmp_path, example, mode):
    lend_and_fail(db, tmp_path, example, "versions_app", mode)


@pytest.mark.backends("postgresql")
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_lent_connection_runs_autocommit_block_revisions(db, tmp_path, example, mode):
    lend_and_fail(db, tmp_path, example, "versions_pg", mode)


@pytest.mark.backends("postgresql")
def test_env_py_refuses_a_connection_lent_inside_a_transaction(db, tmp_path, example):
    commands = example("migr_commands")
    project = commands.new_project(tmp_path / "p", versions="versions_pg")
    config = commands.alembic_config(project, db.url)
    engine = create_engine(db.url)
    with engine.begin() as conn:  # Alembic could commit nothing: autocommit_block() would fail
        config.attributes["connection"] = conn
        with pytest.raises(RuntimeError, match="lend engine.connect"):
            command.upgrade(config, "head")
    del config.attributes["connection"]
    assert inspect(engine).get_table_names() == []
    engine.dispose()


def test_env_py_hands_the_lent_connection_back_without_a_transaction(db, tmp_path, example):
    # Alembic's reads after the last revision autobegin a transaction; env.py ends it, so the
    # same connection can be lent again (or used) right away.
    commands = example("migr_commands")
    config = commands.alembic_config(commands.new_project(tmp_path / "p"), db.url)
    engine = create_engine(db.url)
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0002")
        assert not conn.in_transaction()
        command.upgrade(config, "head")
        command.current(config)
        assert not conn.in_transaction()
        with conn.begin():
            conn.execute(text("insert into author (name, slug) values ('Ada', 'ada')"))
    del config.attributes["connection"]
    assert commands.current_revision(config) == "0004"
    engine.dispose()


@pytest.mark.backends("postgresql")
def test_advisory_lock_makes_a_second_migrator_wait(db, tmp_path, example):
    commands = example("migr_commands")
    project = commands.new_project(tmp_path / "p", versions="versions_pg")
    engine = create_engine(db.url)
    holder = engine.connect()  # another process is migrating
    holder.execute(text("select pg_advisory_lock(:key)"), {"key": commands.MIGRATION_LOCK_KEY})
    holder.commit()

    errors: list[BaseException] = []

    def migrate() -> None:
        try:
            commands.upgrade_locked(engine, commands.alembic_config(project, db.url))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    worker = threading.Thread(target=migrate)
    worker.start()
    time.sleep(0.5)
    assert worker.is_alive()  # waiting for the lock, has sent no DDL
    assert inspect(engine).get_table_names() == []

    holder.execute(text("select pg_advisory_unlock(:key)"), {"key": commands.MIGRATION_LOCK_KEY})
    holder.commit()
    holder.close()
    worker.join(timeout=30)
    assert not worker.is_alive() and errors == []
    assert commands.current_revision(commands.alembic_config(project, db.url)) == "pg0006"

    # A second (later) migrator takes the lock, finds the database at head, does nothing.
    commands.upgrade_locked(engine, commands.alembic_config(project, db.url))
    with engine.connect() as conn:
        held = conn.scalar(text("select count(*) from pg_locks where locktype = 'advisory'"))
    assert held == 0  # released
    engine.dispose()
