"""FastAPI + SQLAlchemy: session per request, 404/409, rollback on error, lifespan-owned engine.

The sync app is driven by TestClient, the async app by httpx.AsyncClient over ASGITransport.
"""

import asyncio
import time
from contextlib import asynccontextmanager
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient
from httpx import ASGITransport, AsyncClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

LAMP = {"name": "lamp", "price_cents": 1999}


def server_connections(db) -> int:
    """Connections other than ours open on the test database (PostgreSQL only)."""
    engine = create_engine(db.url)
    try:
        with engine.connect() as conn:
            return conn.scalar(
                text(
                    "select count(*) from pg_stat_activity "
                    "where datname = current_database() and pid <> pg_backend_pid()"
                )
            )
    finally:
        engine.dispose()


# ---- sync app, TestClient ----------------------------------------------------------------


@pytest.fixture
def app(db, example):
    return example("web_sync_app").create_app(db.url)


def test_create_then_read(app):
    with TestClient(app) as client:
        created = client.post("/items", json=LAMP)
        assert created.status_code == 201
        item = created.json()
        assert item == {"id": item["id"], **LAMP}
        read = client.get(f"/items/{item['id']}")
        assert (read.status_code, read.json()) == (200, item)
        assert app.state.engine.pool.checkedout() == 0


def test_missing_row_is_404(app):
    with TestClient(app) as client:
        response = client.get("/items/424242")
        assert (response.status_code, response.json()) == (404, {"detail": "item not found"})
        assert app.state.engine.pool.checkedout() == 0


def test_duplicate_is_409_and_the_first_row_stays(app):
    with TestClient(app) as client:
        assert client.post("/items", json=LAMP).status_code == 201
        duplicate = client.post("/items", json={"name": "lamp", "price_cents": 5})
        assert duplicate.status_code == 409
        assert client.get("/items").json() == ["lamp"]
        assert app.state.engine.pool.checkedout() == 0


def test_request_failing_after_a_flush_leaves_no_row(app):
    batch = [{"name": "desk", "price_cents": 1}, {"name": "chair", "price_cents": 2}]
    with TestClient(app) as client:
        failed = client.post("/items/batch", json=[*batch, batch[0]])  # desk twice
        assert failed.status_code == 409
        assert client.get("/items").json() == []  # desk and chair were flushed, then rolled back
        assert client.post("/items/batch", json=batch).status_code == 201
        assert client.get("/items").json() == ["chair", "desk"]
        assert app.state.engine.pool.checkedout() == 0


def server_connections_settle_at_zero(db) -> bool:
    """A closed connection's server process exits a moment later: wait for it (bounded)."""
    for _ in range(50):
        if server_connections(db) == 0:
            return True
        time.sleep(0.1)
    return False


def test_lifespan_creates_the_engine_and_disposes_it(app, db):
    with TestClient(app) as client:
        assert client.post("/items", json=LAMP).status_code == 201
        engine = app.state.engine
        assert engine.pool.checkedin() >= 1  # the pool keeps the connection for reuse
        if db.name == "postgresql":
            assert server_connections(db) >= 1
    assert engine.pool.checkedin() == 0  # dispose() closed the pooled connections
    if db.name == "postgresql":
        assert server_connections_settle_at_zero(db)


def test_without_with_the_lifespan_never_runs(app):
    client = TestClient(app)
    with pytest.raises(AttributeError, match="sessionmaker"):
        client.get("/items/1")  # get_db finds no app.state.sessionmaker


def test_commit_failure_is_a_500_only_with_function_scope(app, example):
    """Handlers that skip the flush: the duplicate fails at the dependency's commit."""
    web, models = example("web_sync_app"), example("web_models")
    late = APIRouter()

    @late.post("/function-scope", status_code=201)
    def function_scope(data: models.ItemIn, session: web.DB) -> None:
        session.add(models.Item(name=data.name, price_cents=data.price_cents))

    @late.post("/request-scope", status_code=201)
    def request_scope(
        data: models.ItemIn, session: Annotated[Session, Depends(web.get_db)]
    ) -> None:
        session.add(models.Item(name=data.name, price_cents=data.price_cents))

    app.include_router(late)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post("/function-scope", json=LAMP).status_code == 201
        assert client.post("/function-scope", json=LAMP).status_code == 500  # commit failed
        desk = {"name": "desk", "price_cents": 1}
        assert client.post("/request-scope", json=desk).status_code == 201
        # Default scope: the commit runs after the response went out, so its failure
        # cannot change it: the client is told 201 for a row that was never saved.
        assert client.post("/request-scope", json=desk).status_code == 201
        assert client.get("/items").json() == ["desk", "lamp"]  # one of each


# ---- async app, httpx.AsyncClient over ASGITransport -------------------------------------


@asynccontextmanager
async def running(app):
    async with app.router.lifespan_context(app):  # ASGITransport does not run the lifespan
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as client:
            yield client


@pytest.fixture
def async_app(db, example):
    return example("web_async_app").create_app(db.async_url)


def test_async_create_read_and_404(async_app):
    async def scenario():
        async with running(async_app) as client:
            created = await client.post("/items", json=LAMP)
            read = await client.get(f"/items/{created.json()['id']}")
            missing = await client.get("/items/424242")
            checked_out = async_app.state.engine.pool.checkedout()
        return created, read, missing, checked_out

    created, read, missing, checked_out = asyncio.run(scenario())
    assert created.status_code == 201 and created.json()["name"] == "lamp"
    assert (read.status_code, read.json()) == (200, created.json())
    assert missing.status_code == 404
    assert checked_out == 0


def test_async_failed_requests_leave_no_rows(async_app):
    batch = [{"name": "desk", "price_cents": 1}, {"name": "chair", "price_cents": 2}]

    async def scenario():
        async with running(async_app) as client:
            first = await client.post("/items", json=LAMP)
            duplicate = await client.post("/items", json=LAMP)
            failed_batch = await client.post("/items/batch", json=[*batch, batch[0]])
            names = (await client.get("/items")).json()
            checked_out = async_app.state.engine.pool.checkedout()
        return first, duplicate, failed_batch, names, checked_out

    first, duplicate, failed_batch, names, checked_out = asyncio.run(scenario())
    assert (first.status_code, duplicate.status_code, failed_batch.status_code) == (201, 409, 409)
    assert names == ["lamp"]
    assert checked_out == 0


def test_async_lifespan_disposes_the_engine(async_app, db):
    async def scenario():
        async with running(async_app) as client:
            assert (await client.post("/items", json=LAMP)).status_code == 201
            engine = async_app.state.engine
            kept = engine.pool.checkedin()
        return engine, kept

    engine, kept = asyncio.run(scenario())
    assert kept >= 1
    assert engine.pool.checkedin() == 0
    if db.name == "postgresql":
        assert server_connections_settle_at_zero(db)


def test_async_handler_can_read_an_object_after_commit(async_app, example):
    """With expire_on_commit=True the read after commit() would lazy-load: MissingGreenlet."""
    web, models = example("web_async_app"), example("web_models")
    late = APIRouter()

    @late.post("/commit-then-read", status_code=201)
    async def commit_then_read(data: models.ItemIn, session: web.DB) -> models.ItemOut:
        item = models.Item(name=data.name, price_cents=data.price_cents)
        session.add(item)
        await session.commit()
        return models.ItemOut.model_validate(item)  # reads id, name, price_cents

    async_app.include_router(late)

    async def scenario():
        async with running(async_app) as client:
            return await client.post("/commit-then-read", json=LAMP)

    response = asyncio.run(scenario())
    assert response.status_code == 201
    assert response.json() == {"id": response.json()["id"], **LAMP}


def test_async_app_under_testclient(async_app):
    with TestClient(async_app) as client:  # runs the app and its lifespan in its own loop
        created = client.post("/items", json=LAMP)
        assert created.status_code == 201
        assert client.get(f"/items/{created.json()['id']}").json() == created.json()
        assert client.get("/items/424242").status_code == 404
        assert async_app.state.engine.pool.checkedout() == 0


def test_async_override_rolls_every_request_back(db, example):
    """dependency_overrides with an AsyncSession on a rolled-back AsyncConnection, driven by
    httpx.AsyncClient: requests see each other's commits, the database keeps none of them."""
    overrides, fixtures = example("web_async_overrides"), example("dbtest_fixtures")

    async def scenario():
        engine = fixtures.make_test_async_engine(db.async_url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(example("web_models").Base.metadata.create_all)
            async with overrides.rolled_back_async_client(engine) as client:
                created = [
                    (await client.post("/items", json={"name": name, "price_cents": 1})).status_code
                    for name in ("desk", "lamp")
                ]
                duplicate = await client.post(
                    "/items", json=LAMP
                )  # 409: rolled back to the savepoint
                names = (await client.get("/items")).json()  # the session still works
                outside = await overrides.count_items(engine)  # another connection
            after = await overrides.count_items(engine)
            return created, duplicate.status_code, names, outside, after
        finally:
            await engine.dispose()

    assert asyncio.run(scenario()) == ([201, 201], 409, ["desk", "lamp"], 0, 0)
