"""The same tools under asyncio: scoped sessions and the slow-statement log on an AsyncEngine.

Backends: sqlite, postgresql
Run: PYTHONPATH=examples/core python examples/queries/qry_async.py [ASYNC_DATABASE_URL]
"""

from __future__ import annotations

import asyncio
import logging
import sys

from qry_scoped import Base, Project, ScopedSession, seed
from qry_sql import add_sqlite_sleep, log_slow_statements, sleep_sql

# region: imports
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import selectinload

# endregion


async def task_titles(session: AsyncSession) -> dict[str, list[str]]:
    # Lazy loads raise MissingGreenlet under asyncio: load the collection eagerly.
    stmt = select(Project).options(selectinload(Project.tasks)).order_by(Project.name)
    return {p.name: [t.title for t in p.tasks] for p in await session.scalars(stmt)}


async def main(url: str = "sqlite+aiosqlite://") -> dict[str, object]:
    engine = create_async_engine(url)
    if engine.dialect.name == "sqlite":
        add_sqlite_sleep(engine.sync_engine)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    async with AsyncSession(engine) as plain:
        await plain.run_sync(seed)
    # region: async-scoped
    # The listener is registered on the sync Session class the AsyncSession wraps.
    Scoped = async_sessionmaker(engine, sync_session_class=ScopedSession)
    async with Scoped(info={"tenant_id": 1}) as session:
        tenant_1 = await task_titles(session)
    # endregion
    async with Scoped(info={"tenant_id": 2}) as session:
        tenant_2 = await task_titles(session)
    # region: async-slow-log
    log_slow_statements(engine.sync_engine, threshold_seconds=0.1)  # events live on sync_engine
    # endregion
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    async with engine.connect() as conn:
        await conn.execute(text(sleep_sql(engine.dialect.name, 0.15)))
    await engine.dispose()
    result: dict[str, object] = {"tenant_1": tenant_1, "tenant_2": tenant_2}
    for key, value in result.items():
        print(f"{key}: {value}")
    return result


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:2]))
