"""Async FastAPI tests on a rolled-back session: dependency_overrides with an AsyncSession.

Every request of a test shares one AsyncSession bound to an AsyncConnection whose outer
transaction is rolled back at the end; the handlers' commits release SAVEPOINTs. Requests
go through httpx.AsyncClient and ASGITransport in the test's own event loop.

Backends: sqlite, postgresql
Run: PYTHONPATH=examples/testing python examples/web/web_async_overrides.py [ASYNC_DATABASE_URL]
"""

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from dbtest_fixtures import make_test_async_engine, rolled_back_async_session

# region: imports
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

# endregion
from web_async_app import get_db, router  # the app under test (web_async_app.py)
from web_models import Base, Item


# region: async-override
@asynccontextmanager
async def rolled_back_async_client(engine: AsyncEngine) -> AsyncIterator[AsyncClient]:
    """An AsyncClient whose requests share one AsyncSession, rolled back at the end."""
    app = FastAPI()  # no lifespan: the test owns the engine
    app.include_router(router)
    async with rolled_back_async_session(engine) as session:

        async def override_get_db() -> AsyncIterator[AsyncSession]:
            try:
                yield session
                await session.commit()  # as in get_db; here it releases a SAVEPOINT
            except Exception:
                await session.rollback()  # back to the SAVEPOINT: the next request can go on
                raise

        app.dependency_overrides[get_db] = override_get_db  # the function, not the DB alias
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


# endregion


async def count_items(engine: AsyncEngine) -> int:
    async with AsyncSession(engine) as session:
        return await session.scalar(select(func.count()).select_from(Item)) or 0


async def main(url: str = "sqlite+aiosqlite:///web_async_overrides.db") -> dict[str, int]:
    engine = make_test_async_engine(url)  # aiosqlite: lets SAVEPOINTs work
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    async with rolled_back_async_client(engine) as client:
        created = await client.post("/items", json={"name": "lamp", "price_cents": 1999})
        duplicate = await client.post("/items", json={"name": "lamp", "price_cents": 1})
        read = await client.get(f"/items/{created.json()['id']}")
    left = await count_items(engine)
    await engine.dispose()
    statuses = {
        "created": created.status_code,
        "duplicate": duplicate.status_code,
        "read after the 409": read.status_code,
        "items left after rollback": left,
    }
    print(statuses)
    return statuses


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:2]))
