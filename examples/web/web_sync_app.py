"""FastAPI with a sync Session per request: commit on success, roll back on error, 404, 409.

The engine lives in app.state, made by the lifespan at startup and disposed at shutdown.

Backends: sqlite, postgresql
Run: python examples/web/web_sync_app.py [DATABASE_URL]
"""

import sys

# region: imports
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from web_models import Base, Item, ItemIn, ItemOut

# endregion


# region: lifespan
def create_app(url: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(url, pool_pre_ping=True)  # one engine per process
        Base.metadata.create_all(engine)  # demo only: use Alembic migrations in production
        app.state.engine = engine
        app.state.sessionmaker = sessionmaker(engine)
        yield
        engine.dispose()  # close the pooled connections at shutdown

    app = FastAPI(lifespan=lifespan)
    app.include_router(router)
    return app


# endregion


# region: get-db
def get_db(request: Request) -> Iterator[Session]:
    """One Session per request: commit if the handler returned, roll back if it raised."""
    with request.app.state.sessionmaker() as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise


# scope="function": the code after yield (the commit) runs before the response is sent,
# so a failing commit becomes an error response instead of a 201 for data never saved.
DB = Annotated[Session, Depends(get_db, scope="function")]
# endregion

# region: routes
router = APIRouter()


@router.post("/items", status_code=201)
def create_item(data: ItemIn, session: DB) -> ItemOut:
    item = Item(name=data.name, price_cents=data.price_cents)
    session.add(item)
    try:
        session.flush()  # the INSERT runs now: a duplicate fails here, and the id is set
    except IntegrityError:
        raise HTTPException(409, f"item {data.name!r} exists") from None
    return ItemOut.model_validate(item)  # converted while the session is open


@router.get("/items/{item_id}")
def read_item(item_id: int, session: DB) -> ItemOut:
    item = session.get(Item, item_id)
    if item is None:
        raise HTTPException(404, "item not found")
    return ItemOut.model_validate(item)


# endregion


# region: batch-route
@router.post("/items/batch", status_code=201)
def create_items(batch: list[ItemIn], session: DB) -> list[ItemOut]:
    items = []
    for data in batch:
        item = Item(name=data.name, price_cents=data.price_cents)
        session.add(item)
        try:
            session.flush()
        except IntegrityError:
            # get_db rolls back: the items flushed before this one are not saved either.
            raise HTTPException(409, f"item {data.name!r} exists") from None
        items.append(ItemOut.model_validate(item))
    return items


# endregion


@router.get("/items")
def list_items(session: DB) -> list[str]:
    return list(session.scalars(select(Item.name).order_by(Item.name)))


def main(url: str = "sqlite:///web_sync_app.db") -> dict[str, int]:
    # region: test-client
    app = create_app(url)
    with TestClient(app) as client:  # the `with` runs the lifespan (startup and shutdown)
        created = client.post("/items", json={"name": "lamp", "price_cents": 1999})
        read = client.get(f"/items/{created.json()['id']}")
        missing = client.get("/items/999999")
        duplicate = client.post("/items", json={"name": "lamp", "price_cents": 1})
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
    main(*sys.argv[1:2])
