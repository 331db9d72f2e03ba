"""Alembic with an async driver (asyncpg, aiosqlite): the async env.py, called from async code.

Backends: sqlite, postgresql
Run: python examples/migrations/migr_async.py [ASYNC_DATABASE_URL]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

# region: imports
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# endregion


# region: async-upgrade
async def upgrade_async(engine: AsyncEngine, config: Config, target: str = "head") -> None:
    """Migrate from inside a running event loop (async test fixtures, scripts)."""

    def upgrade(connection: Connection) -> None:  # runs with a sync facade of the connection
        config.attributes["connection"] = connection  # env.py uses it instead of asyncio.run()
        try:
            command.upgrade(config, target)
        finally:  # else the next command gets this closed connection
            del config.attributes["connection"]

    async with engine.connect() as conn:  # not begin(): env.py commits each revision
        await conn.run_sync(upgrade)


# endregion


async def revision_and_authors(engine: AsyncEngine) -> tuple[str | None, int]:
    async with engine.connect() as conn:
        revision = await conn.run_sync(
            lambda sync_conn: MigrationContext.configure(sync_conn).get_current_revision()
        )
        authors = await conn.scalar(text("select count(*) from author"))
    return revision, authors


async def main(url: str = "sqlite+aiosqlite://") -> tuple[str | None, int]:
    from migr_commands import alembic_config, new_project  # this project's helpers

    with tempfile.TemporaryDirectory() as tmp:
        if url == "sqlite+aiosqlite://":  # in-memory would vanish between connections
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'app.db'}"
        config = alembic_config(new_project(Path(tmp) / "project", use_async=True), url)
        engine = create_async_engine(url)
        await upgrade_async(engine, config, "0003")
        async with engine.begin() as conn:
            await conn.execute(text("insert into author (name, slug) values ('Ada', 'ada')"))
        await upgrade_async(engine, config)
        result = await revision_and_authors(engine)
        await engine.dispose()
    print(f"revision: {result[0]}, authors kept: {result[1]}")
    return result


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:2]))
