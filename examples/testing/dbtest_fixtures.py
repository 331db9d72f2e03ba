"""pytest fixtures that roll every test back, even when the code under test commits.

Copy the fixtures into your tests/conftest.py; here they load as a plugin
(`pytest -p dbtest_fixtures`), see dbtest_suite.py. The context managers they wrap work on
their own too, as main() shows.

Backends: sqlite, postgresql
Run: python examples/testing/dbtest_fixtures.py [DATABASE_URL]
"""

from __future__ import annotations

# region: imports
import os
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from dbtest_factories import CustomerFactory
from dbtest_models import Base, count_customers, sign_up
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import Session

# endregion


# region: sqlite-savepoints
def enable_sqlite_savepoints(engine: Engine) -> None:
    """Let SQLAlchemy, not the sqlite3 driver, decide when a transaction begins.

    The driver begins transactions on its own, only before INSERT/UPDATE/DELETE, so the
    fixture's BEGIN is never sent, and RELEASE SAVEPOINT (what session.commit() emits)
    then commits for real. For an AsyncEngine pass engine.sync_engine.
    """

    @event.listens_for(engine, "connect")
    def _driver_stops_beginning(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _emit_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")


# endregion


# region: engines
def make_test_engine(url: str | URL) -> Engine:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        enable_sqlite_savepoints(engine)
    return engine


def make_test_async_engine(url: str | URL) -> AsyncEngine:
    engine = create_async_engine(url)
    if engine.dialect.name == "sqlite":
        enable_sqlite_savepoints(engine.sync_engine)
    return engine


# endregion


# region: rolled-back-session
@contextmanager
def rolled_back_session(engine: Engine) -> Iterator[Session]:
    """A Session whose commits are savepoints inside one transaction that is rolled back."""
    with engine.connect() as connection:
        transaction = connection.begin()
        # "create_savepoint": session.commit() releases a SAVEPOINT, session.rollback()
        # goes back to it; the outer transaction stays open for the fixture to roll back.
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield session
        finally:
            session.close()
            transaction.rollback()


# endregion


# region: rolled-back-async-session
@asynccontextmanager
async def rolled_back_async_session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with engine.connect() as connection:
        transaction = await connection.begin()
        session = AsyncSession(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield session
        finally:
            await session.close()
            await transaction.rollback()


# endregion


# region: backends
# One URL per backend; every test that uses the engine runs once on each, e.g.
# TEST_DATABASE_URLS="sqlite:///test.db postgresql+psycopg://postgres@localhost/test"
DATABASE_URLS = os.environ.get("TEST_DATABASE_URLS", "sqlite:///test.db").split()
ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def backend_name(url: str) -> str:
    return make_url(url).get_backend_name()


# endregion


# region: xdist
def xdist_worker(config: pytest.Config) -> str | None:
    """ "gw0", "gw1", ... inside a pytest-xdist worker; None in a plain pytest run."""
    workerinput = getattr(config, "workerinput", None)  # set by xdist on its workers only
    return None if workerinput is None else str(workerinput["workerid"])


def database_for_worker(url: str, worker: str | None) -> URL:
    """One database per worker, so no worker drops the tables another is testing:
    .../test -> .../test_gw0, sqlite:///test.db -> sqlite:///test_gw0.db."""
    parsed = make_url(url)
    if worker is None or parsed.database in (None, "", ":memory:"):
        return parsed
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database)
        return parsed.set(database=str(path.with_name(f"{path.stem}_{worker}{path.suffix}")))
    return parsed.set(database=f"{parsed.database}_{worker}")


def create_database_if_missing(url: URL) -> None:
    """PostgreSQL: CREATE DATABASE from the maintenance database (SQLite makes its file)."""
    if url.get_backend_name() != "postgresql":
        return
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            found = conn.scalar(
                text("select 1 from pg_database where datname = :name"), {"name": url.database}
            )
            if found is None:
                quoted = conn.dialect.identifier_preparer.quote(str(url.database))
                conn.exec_driver_sql(f"CREATE DATABASE {quoted}")
    finally:
        admin.dispose()


# endregion


# region: engine-fixture
@pytest.fixture(scope="session", params=DATABASE_URLS, ids=backend_name)
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """One engine per backend (and per xdist worker) for the whole run; the schema is made once."""
    url = database_for_worker(request.param, xdist_worker(request.config))
    engine = make_test_engine(url)
    try:
        create_database_if_missing(url)
        Base.metadata.drop_all(engine)  # leftovers of an aborted run
        Base.metadata.create_all(engine)
    except OperationalError as exc:
        engine.dispose()
        pytest.skip(f"{backend_name(request.param)} unreachable: {exc.orig}")
    yield engine
    engine.dispose()


# endregion


# region: session-fixture
@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """Per test: the code under test may commit or roll back; nothing outlives the test."""
    with rolled_back_session(engine) as session:
        yield session


# endregion


# region: async-fixtures
@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"  # async tests run with @pytest.mark.anyio (anyio's pytest plugin)


@pytest.fixture
async def async_session(engine: Engine) -> AsyncIterator[AsyncSession]:
    # Same database as the sync engine (which made the schema), through an async driver.
    url = engine.url.set(drivername=ASYNC_DRIVERS[engine.dialect.name])
    async_engine = make_test_async_engine(url)
    async with rolled_back_async_session(async_engine) as session:
        yield session
    await async_engine.dispose()


# endregion


# region: factory-fixture
@pytest.fixture
def customers(session: Session) -> CustomerFactory:
    return CustomerFactory(session)


# endregion


def main(url: str = "sqlite://") -> tuple[int, int]:
    engine = make_test_engine(url)
    Base.metadata.create_all(engine)
    with rolled_back_session(engine) as session:
        sign_up(session, "ada@example.com", "Ada")  # commits
        inside = count_customers(session)
    with Session(engine) as session:
        after = count_customers(session)
    engine.dispose()
    print(f"customers inside the rolled-back session: {inside}, after it: {after}")
    assert (inside, after) == (1, 0)
    return inside, after


if __name__ == "__main__":
    main(*sys.argv[1:2])
