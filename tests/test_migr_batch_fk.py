"""Batch mode on SQLite with foreign keys enforced: what the table rebuild does to child rows.

book.author_id references author ON DELETE CASCADE. Revision 0003 rebuilds author through
batch mode on SQLite (copy, DROP TABLE author, rename). The app's engine turns
PRAGMA foreign_keys on, as SQLite apps that want their foreign keys enforced do.
"""

import asyncio
import warnings

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, event, text
from sqlalchemy.ext.asyncio import create_async_engine

ORPHANING_REVISION = '''"""Deletes an author but not the books: rows left pointing at nothing."""

revision = "orphans"
down_revision = "0004"
branch_labels = None
depends_on = None

from alembic import op


def upgrade() -> None:
    op.execute("delete from author where name = 'Ada'")


def downgrade() -> None:
    pass
'''


@pytest.fixture(autouse=True)
def no_database_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)


def foreign_keys_on(engine: sa.Engine) -> sa.Engine:
    @event.listens_for(engine, "connect")
    def enforce(dbapi_connection, record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    return engine


def fill(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("insert into author (id, name) values (1, 'Ada'), (2, 'Grace')"))
        conn.execute(
            text(
                "insert into book (title, blurb, author_id) values ('Notes', 'b', 1), ('C', 'c', 2)"
            )
        )


def books(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("select count(*) from book"))


@pytest.fixture
def app_engine(db):
    engine = create_engine(db.url)
    if db.name == "sqlite":
        foreign_keys_on(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def config(db, tmp_path, example):
    commands = example("migr_commands")
    return commands.alembic_config(commands.new_project(tmp_path / "project"), db.url)


@pytest.mark.backends("sqlite")
def test_a_batch_rebuild_with_foreign_keys_on_deletes_the_children(db, config, app_engine):
    command.upgrade(config, "0002")
    fill(app_engine)
    with app_engine.begin() as conn:  # a batch operation on a connection with foreign keys on
        with Operations(MigrationContext.configure(conn)).batch_alter_table("author") as batch:
            batch.alter_column("slug", existing_type=sa.String(100), nullable=True)
    assert books(app_engine) == 0  # DROP TABLE author cascaded into book: no error, no rows


def test_env_py_turns_foreign_keys_off_for_the_run(db, config, app_engine, example):
    commands = example("migr_commands")
    command.upgrade(config, "0002")
    fill(app_engine)
    with app_engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")  # 0003 rebuilds author on SQLite
        del config.attributes["connection"]
        if db.name == "sqlite":  # and the lent connection gets its setting back
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert books(app_engine) == 2
    assert commands.current_revision(config) == "0004"


@pytest.mark.backends("sqlite")
def test_env_py_turns_foreign_keys_off_on_aiosqlite_too(db, tmp_path, example):
    commands = example("migr_commands")
    project = commands.new_project(tmp_path / "a", use_async=True)
    config = commands.alembic_config(project, db.async_url)
    command.upgrade(config, "0002")
    engine = foreign_keys_on(create_engine(db.url))
    fill(engine)

    async def run() -> None:
        async_engine = create_async_engine(db.async_url)
        foreign_keys_on(async_engine.sync_engine)
        await example("migr_async").upgrade_async(async_engine, config)
        await async_engine.dispose()

    asyncio.run(run())
    assert books(engine) == 2
    engine.dispose()


@pytest.mark.backends("sqlite")
def test_the_pragma_is_a_no_op_inside_a_transaction(db, example):
    # Why env.py sets it before the revision's transaction, not with op.execute() inside it.
    engine = foreign_keys_on(example("migr_sqlite_ddl").transactional_ddl(create_engine(db.url)))
    with engine.begin() as conn:  # BEGIN is sent, as the rendered env.py does
        conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


@pytest.mark.backends("sqlite")
def test_env_py_reports_rows_a_revision_left_without_parent(db, config, app_engine):
    versions = config.get_main_option("script_location") + "/versions"
    with open(f"{versions}/migr_orphans.py", "w") as revision:
        revision.write(ORPHANING_REVISION)
    command.upgrade(config, "0002")
    fill(app_engine)
    with app_engine.connect() as conn:
        config.attributes["connection"] = conn
        with pytest.raises(RuntimeError, match="foreign_key_check.*book"):
            command.upgrade(config, "head")
        del config.attributes["connection"]


@pytest.mark.backends("sqlite")
def test_batch_mode_drops_an_unnamed_check_constraint(db):
    engine = create_engine(db.url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "create table item (id integer primary key, qty integer, price integer,"
            " check (qty > 0), constraint ck_item_price check (price > 0))"
        )
    with engine.begin() as conn, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with Operations(MigrationContext.configure(conn)).batch_alter_table("item") as batch:
            batch.alter_column("qty", existing_type=sa.Integer, nullable=False)  # a rebuild
    assert any("Unnamed CHECK constraint" in str(w.message) for w in caught)
    with engine.connect() as conn:
        ddl = conn.exec_driver_sql("select sql from sqlite_master where name = 'item'").scalar()
    assert "ck_item_price" in ddl and "qty > 0" not in ddl  # the named one survived
    engine.dispose()
