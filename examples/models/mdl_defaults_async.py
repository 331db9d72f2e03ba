"""Async and server-generated columns: after an UPDATE the ORM expires updated_at, and reading
it lazily under asyncio raises MissingGreenlet. eager_defaults=True or refresh() fixes it.

Backends: sqlite, postgresql
Run: python examples/models/mdl_defaults_async.py [ASYNC_DATABASE_URL]
"""

from __future__ import annotations

import asyncio
import sys

# region: imports
from datetime import datetime

from sqlalchemy import DateTime, String, func
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# endregion


# region: lazy-stamp
class Base(DeclarativeBase):
    pass


class Draft(Base):
    __tablename__ = "draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(String(200))
    # After a flush that UPDATEs the row, updated_at is expired: the ORM knows the database
    # set it but did not read it back. The next read is a lazy SELECT.
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


# endregion


# region: eager-stamp
class Page(Base):
    __tablename__ = "page"
    # Fetch server-generated values in the same statement (RETURNING) or right after it.
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


# endregion


# region: edit
async def edit(
    async_session: async_sessionmaker[AsyncSession], model: type[Draft] | type[Page]
) -> datetime:
    async with async_session() as session:
        row = model(body="v1")
        session.add(row)
        await session.commit()
        row.body = "v2"
        await session.commit()
        return row.updated_at  # Draft: MissingGreenlet. Page: the new value, no query.


async def edit_and_refresh(async_session: async_sessionmaker[AsyncSession]) -> datetime:
    async with async_session() as session:
        row = Draft(body="v1")
        session.add(row)
        await session.commit()
        row.body = "v2"
        await session.commit()
        await session.refresh(row)  # or: await session.refresh(row, ["updated_at"])
        return row.updated_at


# endregion


async def main(url: str = "sqlite+aiosqlite://") -> datetime:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    # expire_on_commit=False, as async code should: only server-set columns stay expired.
    async_session = async_sessionmaker(engine, expire_on_commit=False)
    stamp = await edit(async_session, Page)
    refreshed = await edit_and_refresh(async_session)
    print(f"Page.updated_at={stamp!r}; Draft after refresh: {refreshed!r}")
    await engine.dispose()
    return stamp


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:2]))
