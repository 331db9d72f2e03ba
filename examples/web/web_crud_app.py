"""FastAPI CRUD with a relationship: eager-load what the response reads, PATCH, DELETE,
and tests that run each request in a rolled-back transaction via dependency_overrides.

Reuses get_db from web_sync_app.py and the rolled-back session from
examples/testing/dbtest_fixtures.py.

Backends: sqlite, postgresql
Run: PYTHONPATH=examples/testing python examples/web/web_crud_app.py [DATABASE_URL]
"""
# lint: ignore-file[NC001]  (naming conventions: see migr_models.py)

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from dbtest_fixtures import make_test_engine, rolled_back_session

# region: imports
from fastapi import APIRouter, FastAPI, HTTPException, Response
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy import Engine, ForeignKey, String, create_engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    raiseload,
    relationship,
    selectinload,
    sessionmaker,
)

# endregion
from web_sync_app import DB, get_db  # the session dependency (web_sync_app.py#get-db)


# region: models
class Base(DeclarativeBase):
    pass


class Writer(Base):
    __tablename__ = "writer"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    bio: Mapped[str | None] = mapped_column(String(500))
    books: Mapped[list[Book]] = relationship(
        back_populates="writer", cascade="all, delete-orphan", order_by="Book.id"
    )


class Book(Base):
    __tablename__ = "book"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    writer_id: Mapped[int] = mapped_column(ForeignKey("writer.id"), index=True)
    writer: Mapped[Writer] = relationship(back_populates="books")


class BookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    title: str


class WriterOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    bio: str | None
    books: list[BookOut]  # reading this touches Writer.books


class WriterIn(BaseModel):
    name: str
    bio: str | None = None
    books: list[str] = []


class WriterPatch(BaseModel):
    # Every field optional; exclude_unset tells "not sent" from "sent as null".
    name: str | None = None
    bio: str | None = None

    @field_validator("name")
    @classmethod
    def name_is_not_null(cls, name: str | None) -> str:
        # Runs only when the client sent a name: null would hit the NOT NULL column (a 500);
        # refusing it here makes it a 422 that names the field.
        if name is None:
            raise ValueError("name cannot be null")
        return name


# endregion


# region: eager-routes
router = APIRouter()


def writer_query() -> Any:
    # Load exactly what WriterOut reads; anything else raises instead of querying.
    return select(Writer).options(selectinload(Writer.books), raiseload("*"))


@router.get("/writers")
def list_writers(session: DB) -> list[WriterOut]:
    writers = session.scalars(writer_query().order_by(Writer.name))
    return [WriterOut.model_validate(w) for w in writers]  # 2 queries for any number


@router.get("/writers/{writer_id}")
def read_writer(writer_id: int, session: DB) -> WriterOut:
    writer = session.scalars(writer_query().where(Writer.id == writer_id)).one_or_none()
    if writer is None:
        raise HTTPException(404, "writer not found")
    return WriterOut.model_validate(writer)


# endregion


# region: lazy-route
@router.get("/writers-lazy")
def list_writers_lazy(session: DB) -> list[WriterOut]:
    # Don't: each WriterOut reads .books, one SELECT per writer (N+1). Under asyncio the
    # same lazy load raises MissingGreenlet instead.
    return [WriterOut.model_validate(w) for w in session.scalars(select(Writer))]


# endregion


# region: write-routes
def flush_or_409(session: Session, name: str) -> None:
    try:
        session.flush()  # a duplicate name fails here, in the handler: 409, not a 500
    except IntegrityError:
        raise HTTPException(409, f"writer {name!r} exists") from None


@router.post("/writers", status_code=201)
def create_writer(data: WriterIn, session: DB) -> WriterOut:
    writer = Writer(name=data.name, bio=data.bio, books=[Book(title=t) for t in data.books])
    session.add(writer)
    flush_or_409(session, data.name)
    return WriterOut.model_validate(writer)


@router.patch("/writers/{writer_id}")
def update_writer(writer_id: int, data: WriterPatch, session: DB) -> WriterOut:
    writer = session.get(Writer, writer_id, options=[selectinload(Writer.books)])
    if writer is None:
        raise HTTPException(404, "writer not found")
    # Only the fields the client sent: {"bio": null} clears bio, {} changes nothing.
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(writer, field, value)
    flush_or_409(session, writer.name)
    return WriterOut.model_validate(writer)


@router.delete("/writers/{writer_id}", status_code=204)
def delete_writer(writer_id: int, session: DB) -> Response:
    writer = session.get(Writer, writer_id)
    if writer is None:
        raise HTTPException(404, "writer not found")
    session.delete(writer)  # cascade="all, delete-orphan" deletes the books too
    return Response(status_code=204)


# endregion


def create_app(url: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(url, pool_pre_ping=True)
        Base.metadata.create_all(engine)  # demo only: use Alembic migrations in production
        app.state.engine = engine
        app.state.sessionmaker = sessionmaker(engine)
        yield
        engine.dispose()

    app = FastAPI(lifespan=lifespan)
    app.include_router(router)
    return app


# region: override
@asynccontextmanager
async def _no_lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield


@contextmanager
def rolled_back_client(engine: Engine) -> Iterator[TestClient]:
    """A TestClient whose requests all share one session that is rolled back at the end.

    The handlers' commits (in get_db) only release SAVEPOINTs inside the outer transaction.
    """
    app = FastAPI(lifespan=_no_lifespan)  # the test owns the engine
    app.include_router(router)
    with rolled_back_session(engine) as session:

        def override_get_db() -> Iterator[Session]:
            try:
                yield session
                session.commit()  # as in get_db; here it releases a SAVEPOINT
            except Exception:
                session.rollback()  # back to the SAVEPOINT: the next request can go on
                raise

        app.dependency_overrides[get_db] = override_get_db
        with TestClient(app) as client:
            yield client


# endregion


def main(url: str = "sqlite:///web_crud_app.db") -> dict[str, int]:
    engine = make_test_engine(url)  # SQLite: lets SAVEPOINTs work (see dbtest_fixtures)
    Base.metadata.create_all(engine)
    with rolled_back_client(engine) as client:
        created = client.post("/writers", json={"name": "le guin", "books": ["Earthsea"]})
        writer_id = created.json()["id"]
        patched = client.patch(f"/writers/{writer_id}", json={"bio": "wrote novels"})
        deleted = client.delete(f"/writers/{writer_id}")
        missing = client.delete(f"/writers/{writer_id}")
    with Session(engine) as session:
        left = len(session.scalars(select(Writer)).all())
    engine.dispose()
    statuses = {
        "created": created.status_code,
        "patched": patched.status_code,
        "deleted": deleted.status_code,
        "missing": missing.status_code,
        "writers left after rollback": left,
    }
    print(statuses)
    return statuses


if __name__ == "__main__":
    main(*sys.argv[1:2])
