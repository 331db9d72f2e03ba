"""FastAPI with an AsyncSession per request: commit on success, roll back on error, 404, 409.

The AsyncEngine lives in app.state, made by the lifespan and disposed at shutdown.

Backends: sqlite, postgresql
Run: python examples/web/web_async_app.py [ASYNC_DATABASE_URL]
"""

import asyncio
import sys

# region: imports
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from httpx import ASGITransport, AsyncClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from web_models import Base, Item, ItemIn, ItemOut

# endregion


# region: async-lifespan
def create_app(url: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_async_engine(url, pool_pre_ping=True)  # one engine per process
        async with engine.begin() as conn:  # demo only: use Alembic migrations in production
            await conn.run_sync(Base.metadata.create_all)
        app.state.engine = engine
        # expire_on_commit=False: reading an object after commit() must not lazy-load
        # (an implicit await outside the greenlet: MissingGreenlet).
        app.state.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        yield
        await engine.dispose()  # close the pooled connections at shutdown

    app = FastAPI(lifespan=lifespan)
    app.include_router(router)
    return app


# endregion


# region: async-get-db
async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    """One AsyncSession per request: commit if the handler returned, roll back if it raised."""
    async with request.app.state.sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except Exception:
            await session.rollback()
            raise


# scope="function": the code after yield (the commit) runs before the response is sent,
# so a failing commit becomes an error response instead of a 201 for data never saved.
DB = Annotated[AsyncSession, Depends(get_db, scope="function")]
# endregion

# region: async-routes
router = APIRouter()


@router.post("/items", status_code=201)
async def create_item(data: ItemIn, session: DB) -> ItemOut:
    item = Item(name=data.name, price_cents=data.price_cents)
    session.add(item)
    try:
        await session.flush()  # the INSERT runs now: a duplicate fails here, and the id is set
    except IntegrityError:
        raise HTTPException(409, f"item {data.name!r} exists") from None
    return ItemOut.model_validate(item)  # converted while the session is open


@router.get("/items/{item_id}")
async def read_item(item_id: int, session: DB) -> ItemOut:
    item = await session.get(Item, item_id)
    if item is None:
        raise HTTPException(404, "item not found")
    return ItemOut.model_validate(item)


# endregion


# region: async-batch-route
@router.post("/items/batch", status_code=201)
async def create_items(batch: list[ItemIn], session: DB) -> list[ItemOut]:
    items = []
    for data in batch:
        item = Item(name=data.name, price_cents=data.price_cents)
        session.add(item)
        try:
            await session.flush()
        except IntegrityError:
            # get_db rolls back: the items flushed before this one are not saved either.
            raise HTTPException(409, f"item {data.name!r} exists") from None
        items.append(ItemOut.model_validate(item))
    return items


# endregion


@router.get("/items")
async def list_items(session: DB) -> list[str]:
    return list(await session.scalars(select(Item.name).order_by(Item.name)))


async def main(url: str = "sqlite+aiosqlite:///web_async_app.db") -> dict[str, int]:
    # region: async-client
    app = create_app(url)
    # ASGITransport sends requests straight to the app but does not run its lifespan:
    # enter the app's lifespan context around the client.
    async with app.router.lifespan_context(app):
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport, base_url="http://test") as client:
            created = await client.post("/items", json={"name": "lamp", "price_cents": 1999})
            read = await client.get(f"/items/{created.json()['id']}")
            missing = await client.get("/items/999999")
            duplicate = await client.post("/items", json={"name": "lamp", "price_cents": 1})
    # endregion
    statuses = {
        "created": created.status_code,
        "read": read.status_code,
        "missing": missing.status_code,
        "duplicate": duplicate.status_code,
    }
    print(statuses)
    return statuses


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:2]))
