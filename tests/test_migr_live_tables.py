"""PostgreSQL DDL on a table in use: lock_timeout, NOT NULL without a long lock, CONCURRENTLY.

The versions_pg chain: pg0001 event, pg0002 index CONCURRENTLY, pg0003 enum value,
pg0004 NOT NULL column with a constant default, pg0005 + pg0006 NOT NULL through a CHECK.
"""

import threading

import pytest
from alembic import command
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, DateTime, create_engine, event, inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError

pytestmark = pytest.mark.backends("postgresql")  # lock_timeout, NOT VALID: PostgreSQL DDL


@pytest.fixture(autouse=True)
def no_database_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)


@pytest.fixture
def project(tmp_path, example):
    return example("migr_commands").new_project(tmp_path / "p", versions="versions_pg")


@pytest.fixture
def engine(db):
    engine = create_engine(db.url)
    yield engine
    engine.dispose()


def config_for(example, project, url, lock_timeout="300ms"):
    config = example("migr_commands").alembic_config(project, url)
    config.set_main_option("lock_timeout", lock_timeout)
    return config


def add_events(engine, count: int, tenant_id: int | None = 1) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("insert into event (kind, user_id, tenant_id) values ('login', :u, :t)"),
            [{"u": i, "t": tenant_id} for i in range(count)],
        )


def sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


class ReportInProgress:
    """Another session reading event in an open transaction: it holds ACCESS SHARE."""

    def __init__(self, engine, seconds: float):
        self.conn = engine.connect()
        self.conn.execute(text("select count(*) from event"))
        self.timer = threading.Timer(seconds, self.conn.rollback)  # the report ends

    def __enter__(self):
        self.timer.start()
        return self

    def __exit__(self, *exc):
        self.timer.cancel()  # the test is done with it: end the report now
        self.timer.join()
        self.conn.rollback()
        self.conn.close()


def revision_of(engine) -> str:
    with engine.connect() as conn:
        return conn.scalar(text("select version_num from alembic_version"))


@pytest.mark.parametrize("use_async", [False, True], ids=["sync-env", "async-env"])
def test_a_revision_waiting_for_a_lock_fails_fast(db, project, engine, example, use_async):
    url = db.async_url if use_async else db.url
    if use_async:
        project = example("migr_commands").new_project(
            project.parent / "async", use_async=True, versions="versions_pg"
        )
    config = config_for(example, project, url)
    command.upgrade(config, "pg0003")
    add_events(engine, 3)
    # Without lock_timeout the ALTER would wait the 5 s of the report (and every query on the
    # table would queue behind it); with it, the revision gives up after 300 ms.
    with ReportInProgress(engine, seconds=5), pytest.raises(DBAPIError) as failed:
        command.upgrade(config, "pg0004")
    assert sqlstate(failed.value) == "55P03"  # lock_not_available
    assert revision_of(engine) == "pg0003"  # the revision rolled back whole
    assert "source" not in {c["name"] for c in inspect(engine).get_columns("event")}


def test_upgrade_retrying_runs_the_revision_again_after_the_lock_frees(
    db, project, engine, example
):
    commands = example("migr_commands")
    config = config_for(example, project, db.url)
    command.upgrade(config, "pg0003")
    with ReportInProgress(engine, seconds=1):
        attempts = commands.upgrade_retrying(config, "pg0004", attempts=20, pause_seconds=0.2)
    assert attempts > 1
    assert revision_of(engine) == "pg0004"


def test_the_lent_connection_gets_its_lock_timeout_back(db, project, engine, example):
    commands = example("migr_commands")
    with engine.connect() as conn:
        config = config_for(example, project, db.url)
        config.attributes["connection"] = conn
        command.upgrade(config, "pg0001")
        del config.attributes["connection"]
        assert conn.scalar(text("show lock_timeout")) == "0"  # as the caller had it
    assert commands.current_revision(config) == "pg0001"


def relfilenode(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("select pg_relation_filenode('event')"))


def test_not_null_with_a_constant_default_rewrites_nothing(db, project, engine, example):
    config = config_for(example, project, db.url)
    command.upgrade(config, "pg0003")
    add_events(engine, 100)
    before = relfilenode(engine)
    command.upgrade(config, "pg0004")
    assert relfilenode(engine) == before  # same file: the table was not rewritten
    with engine.connect() as conn:
        assert conn.execute(text("select distinct source from event")).all() == [("web",)]
    # A volatile default has to be computed per row: PostgreSQL rewrites the table.
    with engine.begin() as conn:
        Operations(MigrationContext.configure(conn)).add_column(
            "event", Column("seen_at", DateTime, server_default=text("clock_timestamp()"))
        )
    assert relfilenode(engine) != before


def debug_messages(engine) -> list[str]:
    """Collect the server's DEBUG1 messages on every connection of engine (psycopg)."""
    messages: list[str] = []

    @event.listens_for(engine, "connect")
    def capture(dbapi_connection, record):
        dbapi_connection.add_notice_handler(lambda d: messages.append(d.message_primary))
        dbapi_connection.execute("set client_min_messages = debug1")
        dbapi_connection.commit()

    return messages


def check_constraints(engine) -> list[str]:
    return sorted(c["name"] for c in inspect(engine).get_check_constraints("event"))


def test_not_null_through_a_check_constraint(db, project, engine, example):
    commands = example("migr_commands")
    config = config_for(example, project, db.url)
    command.upgrade(config, "pg0004")
    add_events(engine, 50)
    add_events(engine, 1, tenant_id=None)  # one old row the backfill has not reached

    command.upgrade(config, "pg0005")
    assert check_constraints(engine) == ["ck_event_tenant_id_not_null"]
    with pytest.raises(IntegrityError, match="ck_event_tenant_id_not_null"):
        add_events(engine, 1, tenant_id=None)  # NOT VALID still refuses new NULLs

    # VALIDATE finds the old NULL: pg0006 fails, the database stays at pg0005.
    with pytest.raises(IntegrityError, match="is violated by some row"):
        command.upgrade(config, "pg0006")
    assert revision_of(engine) == "pg0005"
    with engine.begin() as conn:
        conn.execute(text("update event set tenant_id = 2 where tenant_id is null"))

    watched = create_engine(db.url)
    messages = debug_messages(watched)
    commands.upgrade_on(watched, config, "pg0006")
    watched.dispose()
    # PostgreSQL's own word that SET NOT NULL used the CHECK instead of scanning the table.
    proof = 'existing constraints on column "event.tenant_id" are sufficient to prove'
    assert any(m.startswith(proof) for m in messages), messages
    columns = {c["name"]: c for c in inspect(engine).get_columns("event")}
    assert columns["tenant_id"]["nullable"] is False
    assert check_constraints(engine) == []  # the helper CHECK is gone

    command.downgrade(config, "pg0004")
    columns = {c["name"]: c for c in inspect(engine).get_columns("event")}
    assert columns["tenant_id"]["nullable"] is True
    assert check_constraints(engine) == []
    command.upgrade(config, "head")
    assert revision_of(engine) == "pg0006"


def index_state(engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "select relname, indisvalid from pg_index join pg_class on oid = indexrelid "
                "where relname = 'ix_event_user_id'"
            )
        ).all()


def test_concurrently_waits_for_an_open_snapshot_the_query_finds_it(db, project, engine, example):
    live = example("migr_pg_live")
    config = config_for(example, project, db.url)
    command.upgrade(config, "pg0001")
    add_events(engine, 10)
    with engine.connect() as conn:
        assert live.sessions_in_the_way(conn, "event") == []

    report = engine.connect()  # a report in REPEATABLE READ left idle in its transaction
    report.execution_options(isolation_level="REPEATABLE READ")
    report.execute(text("select count(*) from event"))
    with engine.connect() as conn:
        found = live.sessions_in_the_way(conn, "event")
    assert [row.state for row in found] == ["idle in transaction"]
    assert "select count(*) from event" in found[0].last_query

    # CONCURRENTLY waits for that snapshot; lock_timeout turns the wait into an error.
    with pytest.raises(DBAPIError) as failed:
        command.upgrade(config, "pg0002")
    assert sqlstate(failed.value) == "55P03"
    assert [valid for _, valid in index_state(engine)] == [False]  # left INVALID

    report.rollback()
    report.close()
    command.upgrade(config, "pg0002")  # drops the INVALID one first, then builds it
    assert index_state(engine) == [("ix_event_user_id", True)]


def test_a_writer_idle_in_its_transaction_is_in_the_way_too(db, project, engine, example):
    live = example("migr_pg_live")
    command.upgrade(config_for(example, project, db.url), "pg0001")
    writer = engine.connect()
    writer.execute(text("insert into event (kind, user_id) values ('login', 1)"))
    with engine.connect() as conn:
        assert [row.pid for row in live.sessions_in_the_way(conn, "event")] == [
            writer.connection.driver_connection.info.backend_pid
        ]
    writer.rollback()
    writer.close()


def test_explicit_ids_into_an_identity_column(db, engine, example):
    live = example("migr_pg_live")
    live.metadata.create_all(engine)
    rows = [{"id": 1, "email": "ada@example.com"}, {"id": 2, "email": "grace@example.com"}]
    with engine.begin() as conn:
        with pytest.raises(DBAPIError, match="cannot insert a non-DEFAULT value"):
            with conn.begin_nested():  # GENERATED ALWAYS without OVERRIDING SYSTEM VALUE
                conn.execute(text("insert into account (id, email) values (:id, :email)"), rows)
        live.load_with_ids(conn, rows)

    new_row = live.account.insert().values(email="new@example.com").returning(live.account.c.id)
    with pytest.raises(IntegrityError, match="pk_account"):  # the sequence still hands out 1
        with engine.begin() as conn:
            conn.execute(new_row)
    with engine.begin() as conn:
        live.move_identity_past_max(conn)
        assert conn.execute(new_row).scalar_one() == 3
    live.metadata.drop_all(engine)
