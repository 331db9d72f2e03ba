"""asyncpg after a schema change: InvalidCachedStatementError on pooled connections, and fixes.

SQLAlchemy's asyncpg dialect keeps each connection's prepared statements. When another process
(a migration, here a second engine) changes a column's type, the next use of such a statement
fails once: PostgreSQL refuses a cached plan whose result type changed. pool_pre_ping does not
help (the connection is fine); retrying the transaction does, and so does turning the cache off.
PostgreSQL through asyncpg only: SQLite has no server-side prepared statements to go stale.

Backends: postgresql
Run: python examples/async/async_stale_statements.py [POSTGRESQL_ASYNCPG_URL]
"""

# lint: ignore-file[NC001]  (naming conventions: see migr_models.py)

from __future__ import annotations

import asyncio
import sys

# region: imports
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy import insert, select, text
from sqlalchemy.exc import NotSupportedError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# endregion


class Base(DeclarativeBase):
    pass


class Reading(Base):
    __tablename__ = "reading"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int]


async def values(session: AsyncSession) -> list[int]:
    return list(await session.scalars(select(Reading.value).order_by(Reading.id)))


ALTER_VALUE_TYPE = {
    "bigint": text("ALTER TABLE reading ALTER COLUMN value TYPE bigint"),
    "integer": text("ALTER TABLE reading ALTER COLUMN value TYPE integer"),
}


async def change_value_type(migrator: AsyncEngine, sql_type: str) -> None:
    """What a migration run by another process does: integer <-> bigint."""
    async with migrator.begin() as conn:
        await conn.execute(ALTER_VALUE_TYPE[sql_type])


# region: retry
T = TypeVar("T")


def is_stale_statement(error: NotSupportedError) -> bool:
    # asyncpg's InvalidCachedStatementError, wrapped by SQLAlchemy; the dialect has already
    # cleared its statement caches when this reaches you.
    return type(error.orig).__name__ == "InvalidCachedStatementError"


async def run_in_transaction(
    factory: async_sessionmaker[AsyncSession], work: Callable[[AsyncSession], Awaitable[T]]
) -> T:
    """Run work(session) in one transaction; run it again once if a cached statement was
    stale. The error aborts the transaction, so the retry must be the whole transaction."""
    try:
        async with factory.begin() as session:
            return await work(session)
    except NotSupportedError as error:
        if not is_stale_statement(error):
            raise
    async with factory.begin() as session:  # new statements are prepared this time
        return await work(session)


# endregion


# region: no-cache
def engine_without_statement_cache(url: str) -> AsyncEngine:
    # Every statement is prepared anew: nothing cached can go stale (a prepare per statement).
    return create_async_engine(url, connect_args={"prepared_statement_cache_size": 0})


# endregion


async def read_after_a_type_change(
    engine: AsyncEngine, migrator: AsyncEngine, dispose: bool = False
) -> str:
    """Read once to cache the statement, change the column type, read again on the same
    pooled connection (or, with dispose, on a new one): 'ok' or the error class name."""
    try:
        async with AsyncSession(engine) as session:
            await values(session)
        await change_value_type(migrator, other_type(await column_type(migrator)))
        if dispose:
            await engine.dispose()  # close the pooled connections and their caches
        async with AsyncSession(engine) as session:
            try:
                await values(session)
            except NotSupportedError as error:
                return type(error.orig).__name__
        return "ok"
    finally:
        await engine.dispose()


def other_type(sql_type: str) -> str:
    return "bigint" if sql_type == "integer" else "integer"


async def column_type(engine: AsyncEngine) -> str:
    async with engine.connect() as conn:
        sql = text(
            "select data_type from information_schema.columns"
            " where table_name = :table and column_name = :column"
        )
        return str(await conn.scalar(sql, {"table": "reading", "column": "value"}))


async def main(url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/test") -> dict[str, str]:
    migrator = create_async_engine(url)  # stands in for another process
    async with migrator.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
        await conn.execute(insert(Reading), [{"id": 1, "value": 5}])

    def pooled(**options: object) -> AsyncEngine:
        return create_async_engine(url, pool_size=1, max_overflow=0, **options)

    result = {
        "default": await read_after_a_type_change(pooled(), migrator),
        "pool_pre_ping": await read_after_a_type_change(pooled(pool_pre_ping=True), migrator),
        "dispose": await read_after_a_type_change(pooled(), migrator, dispose=True),
        "no statement cache": await read_after_a_type_change(
            engine_without_statement_cache(url), migrator
        ),
    }
    engine = pooled()
    factory = async_sessionmaker(engine)
    await run_in_transaction(factory, values)  # caches the statement
    await change_value_type(migrator, other_type(await column_type(migrator)))
    result["retried transaction"] = str(await run_in_transaction(factory, values))
    await engine.dispose()
    await migrator.dispose()
    for key, value in result.items():
        print(f"{key}: {value}")
    return result


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:2]))
