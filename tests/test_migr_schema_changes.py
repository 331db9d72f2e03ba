"""Schema changes in the example revisions: names, NOT NULL, batches, batch mode, CONCURRENTLY."""

import io
import math

import pytest
from alembic import command
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, String, create_engine, inspect, text
from sqlalchemy.exc import IntegrityError, OperationalError

EXPECTED_NAMES = {
    "author": ["pk_author", "uq_author_name"],
    "book": [
        "ck_book_positive_pages",
        "fk_book_author_id_author",
        "ix_book_author_id",
        "ix_book_title",
        "pk_book",
    ],
}


@pytest.fixture(autouse=True)
def no_database_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)


@pytest.fixture
def config(db, tmp_path, example):
    commands = example("migr_commands")
    return commands.alembic_config(commands.new_project(tmp_path / "project"), db.url)


@pytest.fixture
def engine(db):
    engine = create_engine(db.url)
    yield engine
    engine.dispose()


def test_naming_convention_names_every_constraint(db, example):
    assert example("migr_models").main(db.url) == EXPECTED_NAMES


def test_migrations_create_the_same_names_and_batch_mode_keeps_them(db, config, example):
    command.upgrade(config, "head")  # 0003 rebuilt author through batch mode on SQLite
    names = example("migr_models").constraint_names(db.url)
    assert names == EXPECTED_NAMES


def add_authors(engine, count: int) -> None:
    if count == 0:
        return
    with engine.begin() as conn:
        conn.execute(
            text("insert into author (name) values (:name)"),
            [{"name": f"Author Number {i}"} for i in range(count)],
        )


@pytest.mark.parametrize(("rows", "batch_size"), [(10, 3), (9, 3), (1, 1000), (0, 5)])
def test_backfill_runs_one_update_per_batch(db, config, engine, example, rows, batch_size):
    backfill = example("migr_0003_backfill_author_slug")
    count_statements = example("eager_loading").count_statements
    command.upgrade(config, "0002")
    add_authors(engine, rows)
    with engine.begin() as conn, count_statements(engine) as statements:
        rounds = backfill.backfill_slugs(conn, batch_size=batch_size)
    updates = [s for s in statements if s.lstrip().startswith("UPDATE author")]
    assert rounds == len(updates) == math.ceil(rows / batch_size)
    with engine.connect() as conn:
        assert conn.scalar(text("select count(*) from author where slug is null")) == 0
        if rows:
            slug = conn.scalar(text("select slug from author where name = 'Author Number 0'"))
            assert slug == "author-number-0"


def test_not_null_column_added_to_a_filled_table(db, config, engine, example, figures):
    count_statements = example("eager_loading").count_statements
    command.upgrade(config, "0002")  # step 1: nullable column
    add_authors(engine, 2500)
    # Lend the connection so the UPDATEs the revision sends can be counted.
    with count_statements(engine) as statements:
        example("migr_commands").upgrade_on(engine, config, "0003")
    updates = [s for s in statements if s.lstrip().startswith("UPDATE author")]
    assert len(updates) == 3  # 2500 rows, BATCH_SIZE 1000
    figures.record("UPDATEs to backfill 2500 rows in batches of 1000", len(updates))

    slug = {c["name"]: c for c in inspect(engine).get_columns("author")}["slug"]
    assert slug["nullable"] is False
    with engine.connect() as conn:
        assert conn.scalar(text("select count(*) from author where slug is not null")) == 2500
        with pytest.raises(IntegrityError):
            conn.execute(text("insert into author (name) values ('no slug')"))


def test_adding_a_not_null_column_in_one_step_fails_on_a_filled_table(db, config, engine):
    command.upgrade(config, "0001")
    add_authors(engine, 1)
    with engine.begin() as conn:
        operations = Operations(MigrationContext.configure(conn))
        # PostgreSQL: existing row violates NOT NULL; SQLite: refuses NOT NULL without a default.
        with pytest.raises((IntegrityError, OperationalError)):
            operations.add_column("author", Column("slug", String(100), nullable=False))


@pytest.mark.backends("sqlite")
def test_sqlite_cannot_alter_a_column_without_batch_mode(db, config, engine):
    command.upgrade(config, "0002")
    add_authors(engine, 3)
    with engine.begin() as conn:
        conn.execute(text("update author set slug = 'x' || id"))
    with engine.begin() as conn:
        operations = Operations(MigrationContext.configure(conn))
        with pytest.raises(OperationalError, match="syntax error"):
            operations.alter_column("author", "slug", nullable=False, existing_type=String(100))
    with engine.begin() as conn:
        operations = Operations(MigrationContext.configure(conn))
        with operations.batch_alter_table("author") as batch_op:
            batch_op.alter_column("slug", nullable=False, existing_type=String(100))
    columns = {c["name"]: c for c in inspect(engine).get_columns("author")}
    assert columns["slug"]["nullable"] is False
    with engine.connect() as conn:
        assert conn.execute(text("select id, slug from author order by id")).all() == [
            (1, "x1"),
            (2, "x2"),
            (3, "x3"),
        ]


# PostgreSQL only: CONCURRENTLY is PostgreSQL syntax; SQLite has no concurrent index build.
@pytest.mark.backends("postgresql")
def test_create_index_concurrently_runs_outside_the_transaction(db, tmp_path, engine, example):
    commands = example("migr_commands")
    project = commands.new_project(tmp_path / "project", versions="versions_pg")
    config = commands.alembic_config(project, db.url)

    config.output_buffer = buffer = io.StringIO()
    command.upgrade(config, "pg0001:pg0002", sql=True)
    script = buffer.getvalue()
    commit_at = script.index("COMMIT;")
    create_at = script.index("CREATE INDEX CONCURRENTLY ix_event_user_id ON event (user_id);")
    assert commit_at < create_at  # the autocommit block ends the migration's transaction first

    command.upgrade(config, "pg0003")
    with engine.connect() as conn:
        valid = conn.scalar(
            text(
                "select indisvalid from pg_index join pg_class on pg_class.oid = indexrelid "
                "where relname = 'ix_event_user_id'"
            )
        )
        assert valid is True
        conn.execute(text("insert into event (kind, user_id) values ('logout', 1)"))  # pg0003

    command.downgrade(config, "pg0001")
    assert "ix_event_user_id" not in {ix["name"] for ix in inspect(engine).get_indexes("event")}


@pytest.mark.backends("postgresql")
def test_create_index_concurrently_fails_inside_a_transaction(db, tmp_path, engine, example):
    commands = example("migr_commands")
    project = commands.new_project(tmp_path / "project", versions="versions_pg")
    command.upgrade(commands.alembic_config(project, db.url), "pg0001")
    with engine.begin() as conn:
        operations = Operations(MigrationContext.configure(conn))
        with pytest.raises(Exception, match="cannot run inside a transaction block"):
            operations.create_index("ix_x", "event", ["user_id"], postgresql_concurrently=True)


def break_the_second_batch(engine) -> None:
    """A unique slug index and a row already holding the slug author 1500 will get."""
    with engine.begin() as conn:
        conn.execute(text("create unique index ux_author_slug on author (slug)"))
        conn.execute(text("update author set slug = 'author-number-1500' where id = 1"))


def filled_slugs(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("select count(*) from author where slug is not null"))


def test_backfill_job_keeps_the_batches_done_before_a_failure(db, config, engine, example):
    job = example("migr_backfill_job").backfill_slugs_job
    command.upgrade(config, "0002")
    add_authors(engine, 2500)
    break_the_second_batch(engine)

    with pytest.raises(IntegrityError):
        job(engine, batch_size=1000)
    assert filled_slugs(engine) == 1 + 1000  # the first batch committed on its own

    with engine.begin() as conn:  # fix the bad row, run the job again: it goes on
        conn.execute(text("update author set slug = null where id = 1"))
    assert job(engine, batch_size=1000) == 2  # the 1500 rows left
    assert filled_slugs(engine) == 2500
    command.upgrade(config, "head")  # 0003 finds nothing left, sets NOT NULL
    assert filled_slugs(engine) == 2500


def test_backfill_inside_the_revision_loses_every_batch_on_failure(db, config, engine, example):
    command.upgrade(config, "0002")
    add_authors(engine, 2500)
    break_the_second_batch(engine)
    with pytest.raises(IntegrityError):
        command.upgrade(config, "0003")  # the batches share the revision's one transaction
    assert filled_slugs(engine) == 1
    assert example("migr_commands").current_revision(config) == "0002"
