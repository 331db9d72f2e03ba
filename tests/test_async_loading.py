import asyncio
import gc

import pytest
from sqlalchemy import exc
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

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


def run_seeded(db, example, scenario):
    """Create and seed the tables, run scenario(engine, statements) in one event loop."""
    models = example("async_models")
    count_statements = example("eager_loading").count_statements

    async def go():
        engine = create_async_engine(db.async_url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(models.Base.metadata.create_all)
            async with AsyncSession(engine) as session:
                await models.seed(session)
            with count_statements(engine.sync_engine) as statements:
                return await scenario(engine, statements)
        finally:
            await engine.dispose()

    return asyncio.run(go())


@UNAWAITED_CURSOR_ON_AIOSQLITE
def test_lazy_load_raises_missing_greenlet(db, example):
    loading = example("async_loading")

    async def scenario(engine, statements):
        async with AsyncSession(engine) as session:
            with pytest.raises((exc.MissingGreenlet, exc.StatementError)) as raised:
                await loading.member_names_lazy(session, "core")
        return raised.value

    error = run_seeded(db, example, scenario)
    assert is_missing_greenlet(error), repr(error)
    del error
    gc.collect()


def test_selectinload_loads_members_in_two_statements(db, example):
    loading = example("async_loading")

    async def scenario(engine, statements):
        async with AsyncSession(engine) as session:
            names = await loading.member_names_selectin(session, "core")
        return names, len(statements)

    names, sent = run_seeded(db, example, scenario)
    assert names == ["ada", "grace", "linus"]
    assert sent == 2  # the team, then its members WHERE team_id IN (...)


def test_awaitable_attrs_runs_the_lazy_load_as_an_await(db, example):
    loading = example("async_loading")

    async def scenario(engine, statements):
        async with AsyncSession(engine) as session:
            return await loading.member_names_awaited(session, "core"), len(statements)

    names, sent = run_seeded(db, example, scenario)
    assert names == ["ada", "grace", "linus"]
    assert sent == 2  # the team, then the awaited lazy load


def test_lazy_raise_fails_early_without_sql(db, example):
    loading = example("async_loading")

    async def scenario(engine, statements):
        async with AsyncSession(engine) as session:
            with pytest.raises(exc.InvalidRequestError, match="lazy='raise'") as raised:
                await loading.task_titles_forgotten(session, "launch")
        return raised.value, len(statements)

    error, sent = run_seeded(db, example, scenario)
    assert "Project.tasks" in str(error)
    assert not is_missing_greenlet(error)  # a clear error, raised before any IO
    assert sent == 1  # the SELECT for the project; the tasks access sent nothing


def test_lazy_raise_relationship_loads_with_selectinload(db, example):
    loading = example("async_loading")

    async def scenario(engine, statements):
        async with AsyncSession(engine) as session:
            return await loading.task_titles(session, "launch")

    assert run_seeded(db, example, scenario) == ["write", "ship"]


def test_main_returns_every_fix(db, example):
    result = asyncio.run(example("async_loading").main(db.async_url))
    assert result == {
        "member_names_selectin": ["ada", "grace", "linus"],
        "member_names_awaited": ["ada", "grace", "linus"],
        "task_titles": ["write", "ship"],
    }
