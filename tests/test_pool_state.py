"""Session state through the pool: a committed SET reaches the next checkout; SET LOCAL, a
reset event and schema_translate_map don't leak. PostgreSQL only (SQLite has no SET)."""

import asyncio

import pytest
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import Session

pytestmark = pytest.mark.backends("postgresql")
TENANTS = {"pool_state_a": "a's item", "pool_state_b": "b's item"}


@pytest.fixture
def state(db, example):
    """pool_state, with two tenant schemas and a public item table holding 'no tenant'."""
    mod = example("pool_state")
    admin = create_engine(db.url)
    mod.create_tenants(admin, TENANTS)
    mod.Base.metadata.create_all(admin)
    with Session(admin) as session, session.begin():
        session.add(mod.Item(name="no tenant"))
    yield mod
    mod.drop_tenants(admin, list(TENANTS))
    admin.dispose()


def next_request_reads(mod, engine) -> list[str]:
    """A request that sets no tenant, on the pool's only connection."""
    with Session(engine) as session:
        return list(session.scalars(select(mod.Item.name)))


def one_connection_engine(db, mod, reset: bool = False):
    engine = create_engine(db.url, pool_size=1, max_overflow=0)
    if reset:
        mod.reset_session_state(engine)
    return engine


def test_a_committed_set_reaches_the_next_request(db, state):
    engine = one_connection_engine(db, state)
    assert state.items_of_tenant_leaky(engine, "pool_state_a") == ["a's item"]
    assert next_request_reads(state, engine) == ["a's item"]  # another tenant's rows
    assert state.search_path(engine) == "pool_state_a"
    engine.dispose()


def test_set_local_ends_with_the_transaction(db, state):
    engine = one_connection_engine(db, state)
    assert state.items_of_tenant(engine, "pool_state_a") == ["a's item"]
    assert next_request_reads(state, engine) == ["no tenant"]
    engine.dispose()


def test_schema_translate_map_names_the_schema_in_the_sql(db, state, example):
    engine = one_connection_engine(db, state)
    count = example("eager_loading").count_statements
    with state.tenant_session(engine, "pool_state_b") as session, count(engine) as sent:
        assert list(session.scalars(select(state.Item.name))) == ["b's item"]
    assert "FROM pool_state_b.item" in sent[0]
    assert next_request_reads(state, engine) == ["no tenant"]
    engine.dispose()


def test_the_reset_event_undoes_a_committed_set(db, state):
    engine = one_connection_engine(db, state, reset=True)
    assert state.items_of_tenant_leaky(engine, "pool_state_a") == ["a's item"]
    assert next_request_reads(state, engine) == ["no tenant"]
    engine.dispose()


def test_the_reset_event_keeps_settings_made_at_connect_and_works_on_asyncpg(db, state):
    async def after_a_committed_set() -> tuple[str, str]:
        engine = create_async_engine(
            db.async_url,
            pool_size=1,
            connect_args={"server_settings": {"statement_timeout": "250"}},
        )
        state.reset_session_state(engine.sync_engine)
        try:
            async with engine.connect() as conn:
                await conn.execute(text("set search_path to pool_state_a"))
                await conn.execute(text("set statement_timeout = 5"))
                await conn.commit()
            async with engine.connect() as conn:
                path = await conn.scalar(text("show search_path"))
                return path, await conn.scalar(text("show statement_timeout"))
        finally:
            await engine.dispose()

    assert asyncio.run(after_a_committed_set()) == ('"$user", public', "250ms")


def test_the_reset_recipe_that_resets_inside_the_transaction_undoes_itself(db, state):
    """The PostgreSQL dialect docs' version: RESET ALL, then rollback(), which reverts it."""
    engine = create_engine(db.url, pool_size=1, max_overflow=0, pool_reset_on_return=None)

    @event.listens_for(engine, "reset")
    def reset_inside_the_transaction(dbapi_connection, connection_record, reset_state):
        if not reset_state.terminate_only:
            dbapi_connection.execute("RESET ALL")  # psycopg opens a transaction for it
        dbapi_connection.rollback()  # ... and this undoes the RESET

    state.items_of_tenant_leaky(engine, "pool_state_a")
    assert state.search_path(engine) == "pool_state_a"
    engine.dispose()
