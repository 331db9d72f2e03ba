"""Server defaults, onupdate, async eager_defaults/refresh, aware datetimes, UUID keys."""

import asyncio
import gc
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, exc, inspect, text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

OLD = "2000-01-01 00:00:00"


@pytest.fixture
def session(db, example):
    defaults = example("mdl_defaults")
    engine = create_engine(db.url)
    defaults.create_schema(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def make_old_note(session, defaults, body):
    session.add(defaults.Note(body=body))
    session.commit()
    session.execute(text("UPDATE note SET updated_at = :old"), {"old": OLD})
    session.commit()
    return defaults.stamps(session, body)


def test_raw_insert_gets_the_server_default(session):
    session.execute(text("INSERT INTO note (body) VALUES ('raw')"))
    created, updated = session.execute(text("SELECT created_at, updated_at FROM note")).one()
    assert created is not None and updated is not None


def test_orm_update_statement_fires_onupdate_raw_sql_does_not(session, example):
    defaults = example("mdl_defaults")
    _, old = make_old_note(session, defaults, "a")
    defaults.raw_rename(session, "a", "b")
    session.commit()
    assert defaults.stamps(session, "b")[1] == old
    defaults.bulk_rename(session, "b", "c")
    session.commit()
    assert defaults.stamps(session, "c")[1] > old


def test_timezone_true_is_aware_on_postgresql_naive_on_sqlite(db, session, example):
    note = example("mdl_defaults").Note(body="tz")
    session.add(note)
    session.commit()
    created = session.get(type(note), note.id).created_at
    if db.name == "sqlite":
        assert (
            created.tzinfo is None
        )  # SQLite has no time zone type: DateTime(timezone=True) is naive
    else:
        assert created.utcoffset() is not None
    assert isinstance(created, datetime)
    assert created.replace(tzinfo=None) <= datetime.now(UTC).replace(tzinfo=None)


def test_client_uuid_is_set_at_flush_not_at_construction(db, session, example):
    ticket = example("mdl_defaults").Ticket(title="t")
    assert ticket.id is None
    session.add(ticket)
    session.flush()
    assert isinstance(ticket.id, uuid.UUID)
    column = inspect(session.connection()).get_columns("ticket")[0]
    assert str(column["type"]) == ("CHAR(32)" if db.name == "sqlite" else "UUID")


@pytest.mark.backends("postgresql")
def test_server_uuid_on_postgresql(db, session, example):
    defaults = example("mdl_defaults")
    ticket = defaults.PgTicket(title="t")
    session.add(ticket)
    session.flush()
    assert isinstance(ticket.id, uuid.UUID)
    columns = {c["name"]: c for c in inspect(session.connection()).get_columns("pg_ticket")}
    assert "gen_random_uuid()" in columns["id"]["default"]
    assert str(columns["id"]["type"]) == "UUID"


def is_missing_greenlet(error):
    # asyncpg raises MissingGreenlet itself; aiosqlite wraps it in a StatementError (.orig).
    return isinstance(error, exc.MissingGreenlet) or isinstance(
        getattr(error, "orig", None), exc.MissingGreenlet
    )


@pytest.mark.filterwarnings("ignore:coroutine 'Connection.cursor' was never awaited:RuntimeWarning")
def test_async_expired_updated_at_needs_eager_defaults_or_refresh(db, example):
    mod = example("mdl_defaults_async")
    count_statements = example("eager_loading").count_statements

    async def go():
        engine = create_async_engine(db.async_url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(mod.Base.metadata.create_all)
            factory = async_sessionmaker(engine, expire_on_commit=False)
            async with factory() as session:
                draft, page, other = mod.Draft(body="v1"), mod.Page(body="v1"), mod.Draft(body="v1")
                session.add_all([draft, page, other])
                await session.commit()
                inserted = draft.updated_at  # after INSERT: came back with RETURNING
                with pytest.raises((exc.MissingGreenlet, exc.StatementError)) as raised:
                    await mod.rename(session, draft, "v2")
                assert is_missing_greenlet(raised.value)
                assert "greenlet_spawn has not been called" in str(raised.value)
            async with factory() as session:
                session.add_all([page, other])
                with count_statements(engine.sync_engine) as statements:
                    eager = await mod.rename(session, page, "v2")
                assert len(statements) == 1  # UPDATE ... RETURNING page.updated_at
                assert "RETURNING" in statements[0]
                refreshed = await mod.rename_and_refresh(session, other, "v2")
            return inserted, eager, refreshed
        finally:
            await engine.dispose()

    stamps = asyncio.run(go())
    gc.collect()
    for stamp in stamps:
        assert isinstance(stamp, datetime)
        assert (stamp.tzinfo is None) == (db.name == "sqlite")  # aware on asyncpg
