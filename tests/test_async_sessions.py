import asyncio
import gc
import importlib.metadata

import pytest
from sqlalchemy import exc, select, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import StaticPool

# After MissingGreenlet, aiosqlite leaves an un-awaited cursor() coroutine behind; the test
# collects it (gc.collect) under this filter so the warning does not land on a later test.
UNAWAITED_CURSOR_ON_AIOSQLITE = pytest.mark.filterwarnings(
    "ignore:coroutine 'Connection.cursor' was never awaited:RuntimeWarning"
)


def is_missing_greenlet(error: BaseException) -> bool:
    # asyncpg raises MissingGreenlet itself; aiosqlite wraps it in a StatementError (.orig).
    return isinstance(error, exc.MissingGreenlet) or isinstance(
        getattr(error, "orig", None), exc.MissingGreenlet
    )


def run_with_factory(example, url, scenario):
    """Make the factory and tables, run scenario(SessionLocal), dispose: all in one loop."""
    sessions = example("async_sessions")

    async def go():
        SessionLocal = sessions.make_session_factory(url)
        engine = SessionLocal.kw["bind"]
        try:
            await sessions.create_tables(engine)
            return await scenario(SessionLocal)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def test_run_sync_creates_and_inspects_tables(db, example):
    sessions = example("async_sessions")

    async def scenario(SessionLocal):
        return await sessions.table_names(SessionLocal.kw["bind"])

    names = run_with_factory(example, db.async_url, scenario)
    assert {"team", "member", "project", "task", "event"} <= set(names)


def test_session_run_sync_runs_sync_orm_code(db, example):
    sessions = example("async_sessions")

    async def scenario(SessionLocal):
        for name in ("platform", "core"):
            await sessions.add_team(SessionLocal, name)
        return await sessions.team_names_from_async(SessionLocal)

    assert run_with_factory(example, db.async_url, scenario) == ["core", "platform"]


@UNAWAITED_CURSOR_ON_AIOSQLITE
def test_default_expire_on_commit_raises_missing_greenlet(db, example):
    sessions = example("async_sessions")

    async def scenario(SessionLocal):
        with pytest.raises((exc.MissingGreenlet, exc.StatementError)) as raised:
            await sessions.team_name_after_default_commit(SessionLocal.kw["bind"], "core")
        assert is_missing_greenlet(raised.value), repr(raised.value)
        return await sessions.team_name_after_commit(SessionLocal, "platform")

    # With expire_on_commit=False the same access returns the value, after the session closed.
    assert run_with_factory(example, db.async_url, scenario) == "platform"
    gc.collect()


def test_concurrent_tasks_each_with_own_session_all_commit(db, example):
    sessions = example("async_sessions")
    names = [f"member {i}" for i in range(10)]

    async def scenario(SessionLocal):
        team_id = await sessions.add_team(SessionLocal, "core")
        await sessions.add_members_concurrently(SessionLocal, team_id, names)
        async with SessionLocal() as session:
            saved = await session.scalars(select(sessions.Member.name))
            return sorted(saved)

    assert run_with_factory(example, db.async_url, scenario) == sorted(names)


@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")  # "add() during flush"
def test_one_session_shared_by_concurrent_tasks_fails(db, example, figures):
    sessions = example("async_sessions")
    names = [f"member {i}" for i in range(10)]

    async def scenario(SessionLocal):
        team_id = await sessions.add_team(SessionLocal, "core")
        outcomes = await sessions.add_members_sharing_one_session(SessionLocal, team_id, names)
        return outcomes, await sessions.count_members(SessionLocal)

    outcomes, saved = run_with_factory(example, db.async_url, scenario)
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    # IllegalStateChangeError and "concurrent operations are not permitted" are both this type.
    assert errors and all(isinstance(e, exc.InvalidRequestError) for e in errors), outcomes
    figures.record(f"tasks failed sharing one AsyncSession ({db.name})", f"{len(errors)}/10")
    figures.record(f"rows saved by 10 tasks sharing one AsyncSession ({db.name})", saved)


def test_dispose_closes_every_pooled_connection(db, example):
    sessions = example("async_sessions")

    async def server_connections() -> int | None:
        # Connections PostgreSQL sees on this database, counted from a separate engine.
        if db.name != "postgresql":
            return None
        probe = create_async_engine(db.async_url)
        try:
            async with probe.connect() as conn:
                return await conn.scalar(
                    text(
                        "select count(*) from pg_stat_activity "
                        "where datname = current_database() and pid <> pg_backend_pid()"
                    )
                )
        finally:
            await probe.dispose()

    async def go():
        SessionLocal = sessions.make_session_factory(db.async_url)
        engine = SessionLocal.kw["bind"]
        try:
            await sessions.create_tables(engine)
            team_id = await sessions.add_team(SessionLocal, "core")
            await sessions.add_members_concurrently(SessionLocal, team_id, ["a", "b", "c"])
            before = (engine.pool.checkedin(), await server_connections())
            await sessions.shutdown(engine)
            after = (engine.pool.checkedin(), engine.pool.checkedout(), await server_connections())
            return before, after
        finally:
            await engine.dispose()  # a no-op after shutdown(); closes the pool if a step failed

    (idle_before, server_before), (idle_after, out_after, server_after) = asyncio.run(go())
    assert idle_before >= 3  # three concurrent sessions left three connections in the pool
    assert (idle_after, out_after) == (0, 0)
    if db.name == "postgresql":
        assert server_before >= 3
        assert server_after == 0


@pytest.mark.sqlalchemy("2.1", reason="2.0 installs greenlet without the extra")
def test_greenlet_comes_only_with_the_asyncio_extra():
    # SQLAlchemy 2.1 metadata: greenlet is required only when the [asyncio] extra is asked for.
    requires = importlib.metadata.requires("sqlalchemy") or []
    greenlet = [r for r in requires if r.replace(" ", "").startswith("greenlet")]
    assert greenlet and all('extra == "asyncio"' in r for r in greenlet), greenlet


def test_async_engine_refuses_a_sync_only_driver():
    with pytest.raises(exc.InvalidRequestError, match="requires an async driver"):
        create_async_engine("sqlite://")


def test_in_memory_aiosqlite_shares_one_connection():
    # Why the examples use a SQLite file for concurrency: ":memory:" gets a StaticPool.
    engine = create_async_engine("sqlite+aiosqlite://")
    assert isinstance(engine.pool, StaticPool)
    asyncio.run(engine.dispose())
