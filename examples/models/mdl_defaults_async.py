"""Async and server-generated columns: after an UPDATE the ORM expires updated_at, and reading
it lazily under asyncio raises MissingGreenlet. eager_defaults=True or refresh() fixes it.

Backends: sqlite, postgresql
Run: python examples/models/mdl_defaults_async.py [ASYNC_DATABASE_URL]
"""
# lint: ignore-file[NC001]  (naming conventions: see migr_models.py)

from __future__ import annotations

import asyncio
import sys

# region: imports
from datetime import datetime

from sqlalchemy import DateTime, String, func
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# endregion


# region: models
class Base(DeclarativeBase):
    pass


class Draft(Base):
    __tablename__ = "draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(String(200))
    # After a flush that UPDATEs the row, updated_at is expired (the database set it, the
    # ORM did not read it back): the next read is a lazy SELECT.
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class Page(Base):
    __tablename__ = "page"
    # Read server-set values back in the same UPDATE/INSERT (RETURNING) or right after it.
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


# endregion


# region: edit
async def rename(session: AsyncSession, row: Draft | Page, body: str) -> datetime:
    row.body = body
    await session.commit()
    return row.updated_at  # Draft: MissingGreenlet. Page: the new value, no query.


async def rename_and_refresh(session: AsyncSession, row: Draft, body: str) -> datetime:
    row.body = body
    await session.commit()
    await session.refresh(row, ["updated_at"])  # an awaited SELECT of the expired column
    return row.updated_at


# endregion


async def main(url: str = "sqlite+aiosqlite://") -> datetime:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    # expire_on_commit=False, as async code should: only server-set columns stay expired.
    async_session = async_sessionmaker(engine, expire_on_commit=False)
    page, draft = Page(body="v1"), Draft(body="v1")
    async with async_session() as session:
        session.add_all([page, draft])
        await session.commit()
        stamp = await rename(session, page, "v2")
        refreshed = await rename_and_refresh(session, draft, "v2")
    print(f"Page.updated_at={stamp!r}; Draft after refresh: {refreshed!r}")
    await engine.dispose()
    return stamp


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:2]))
