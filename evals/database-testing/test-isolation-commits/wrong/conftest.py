"""pytest fixtures: one schema per run, a fresh session per test."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import shop
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

DATABASE_URL = os.environ["DATABASE_URL"]


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    engine = create_engine(DATABASE_URL)
    shop.Base.metadata.create_all(engine)
    yield engine
    shop.Base.metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session
        session.rollback()  # undo whatever the test left pending
