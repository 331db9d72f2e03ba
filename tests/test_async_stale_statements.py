"""asyncpg: a column type changed by another engine makes a pooled connection's cached
statement fail once (InvalidCachedStatementError); what helps and what does not."""

import asyncio

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import NotSupportedError
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

pytestmark = pytest.mark.backends("postgresql")


def test_stale_statement_errors_once_and_the_fixes(db, example):
    stale = example("async_stale_statements")

    async def scenario():
        migrator = create_async_engine(db.async_url)
        engine = create_async_engine(db.async_url, pool_size=1, max_overflow=0)
        try:
            async with migrator.begin() as conn:
                await conn.run_sync(stale.Base.metadata.create_all)
                await conn.execute(insert(stale.Reading), [{"id": 1, "value": 5}])

            def pooled(**options):
                return create_async_engine(db.async_url, pool_size=1, max_overflow=0, **options)

            default = await stale.read_after_a_type_change(pooled(), migrator)
            pinged = await stale.read_after_a_type_change(pooled(pool_pre_ping=True), migrator)
            disposed = await stale.read_after_a_type_change(pooled(), migrator, dispose=True)
            uncached = await stale.read_after_a_type_change(
                stale.engine_without_statement_cache(db.async_url), migrator
            )
            factory = async_sessionmaker(engine)
            attempts = []

            async def work(session):
                attempts.append(1)
                return await stale.values(session)

            await stale.run_in_transaction(factory, stale.values)  # caches the statement
            current = await stale.column_type(migrator)
            await stale.change_value_type(migrator, stale.other_type(current))
            retried = await stale.run_in_transaction(factory, work)

            # A different error is not swallowed by the retry.
            async def broken(session):
                raise NotSupportedError("x", None, Exception("something else"))

            with pytest.raises(NotSupportedError):
                await stale.run_in_transaction(factory, broken)
            return default, pinged, disposed, uncached, retried, len(attempts)
        finally:
            await engine.dispose()
            await migrator.dispose()

    default, pinged, disposed, uncached, retried, attempts = asyncio.run(scenario())
    assert default == "InvalidCachedStatementError"
    assert pinged == "InvalidCachedStatementError"  # pre_ping sees a healthy connection
    assert disposed == "ok"  # new connections, empty caches
    assert uncached == "ok"
    assert (retried, attempts) == ([5], 2)  # failed once, then ran again and read the row
