"""pytest fixtures: every test runs in a transaction that is rolled back at its end."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import shop
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session

DATABASE_URL = os.environ["DATABASE_URL"]


def enable_sqlite_savepoints(engine: Engine) -> None:
    """pysqlite begins transactions itself (only before DML) and never sends our BEGIN, so
    RELEASE SAVEPOINT would commit for real: let SQLAlchemy emit BEGIN instead."""

    @event.listens_for(engine, "connect")
    def _driver_stops_beginning(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _emit_begin(connection):
        connection.exec_driver_sql("BEGIN")


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    engine = create_engine(DATABASE_URL)
    if engine.dialect.name == "sqlite":
        enable_sqlite_savepoints(engine)
    shop.Base.metadata.drop_all(engine)  # leftovers of an aborted run
    shop.Base.metadata.create_all(engine)
    yield engine
    shop.Base.metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with engine.connect() as connection:
        transaction = connection.begin()
        # commit() in the code under test releases a SAVEPOINT; the outer transaction stays
        # open and is rolled back below, so nothing outlives the test.
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield session
        finally:
            session.close()
            transaction.rollback()
