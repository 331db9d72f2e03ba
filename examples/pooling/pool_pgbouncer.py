"""asyncpg behind pgbouncer in transaction mode: no prepared statement may outlive a transaction.

PostgreSQL only. asyncpg prepares every statement, caches it per client connection and names
it "__asyncpg_stmt_<n>__" from a counter per process. With transaction pooling, the next
transaction of the same client may run on another server connection ("prepared statement ...
does not exist"), and another process may pick a name a server connection already holds
("... already exists"). The tests run this through a real pgbouncer (1.18, which does not
track prepared statements; 1.21+ can, with max_prepared_statements > 0). Unique names
(prepared_statement_name_func) are not the fix: they force named statements, which stay on
pgbouncer's server connections.

Backends: postgresql
Run: python examples/pooling/pool_pgbouncer.py [DATABASE_URL]
"""

from __future__ import annotations

import asyncio
import sys

# region: imports
from sqlalchemy import NullPool, literal, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# endregion


# region: asyncpg
def pgbouncer_async_engine(url: str) -> AsyncEngine:
    # Both caches off: asyncpg then sends each statement as the unnamed prepared statement,
    # which the next one replaces. Nothing outlives the transaction, no name can collide.
    return create_async_engine(
        url,
        poolclass=NullPool,  # pgbouncer is the pool
        connect_args={
            "statement_cache_size": 0,  # asyncpg's own cache
            "prepared_statement_cache_size": 0,  # SQLAlchemy's asyncpg adapter's cache
        },
    )


# endregion


async def across_server_connections(engine: AsyncEngine) -> str:
    """One client runs a statement, then again while another client holds the server
    connection it used: pgbouncer (LIFO) hands the first client another one."""
    try:
        async with engine.connect() as first:
            await first.scalar(select(literal(1)))  # prepared (and cached) on server conn 1
            await first.commit()
            async with engine.connect() as second:
                await second.scalar(text("select 2"))  # holds server connection 1
                again = await first.scalar(select(literal(1)))  # runs on server connection 2
                await second.commit()
                return f"ok: {again}"
    except DBAPIError as error:
        return str(error.orig).splitlines()[0]


async def one_query(url: str, recipe: bool) -> str:
    """What one fresh process sees for its first statement."""
    engine = pgbouncer_async_engine(url) if recipe else create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return f"ok: {await conn.scalar(select(literal(7)))}"
    except DBAPIError as error:
        return str(error.orig).splitlines()[0]
    finally:
        await engine.dispose()


async def main(url: str) -> dict[str, str]:
    found = {}
    for name, engine in (
        ("default", create_async_engine(url)),
        ("pgbouncer_async_engine", pgbouncer_async_engine(url)),
    ):
        found[name] = await across_server_connections(engine)
        await engine.dispose()
        print(f"{name}: {found[name]}")
    return found


if __name__ == "__main__":
    if len(sys.argv) > 2:  # a fresh process, for the tests: URL and "recipe" or "default"
        print(asyncio.run(one_query(sys.argv[1], sys.argv[2] == "recipe")))
    else:
        asyncio.run(main(*sys.argv[1:2]))
