"""The async twin of repo_sync: a generic repository and a unit of work over AsyncSession.

Backends: sqlite, postgresql
Run: python examples/patterns/repo_async.py [ASYNC_DATABASE_URL]
"""

from __future__ import annotations

import asyncio
import sys

# region: imports
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Generic, TypeVar

from repo_models import Base, Customer, Order
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

# endregion


# region: repository
ModelT = TypeVar("ModelT", bound=Base)


class AsyncRepository(Generic[ModelT]):
    """Same contract as the sync repository: it never commits."""

    def __init__(self, session: AsyncSession, model: type[ModelT]) -> None:
        self.session = session
        self.model = model

    async def get(self, id: Any) -> ModelT | None:
        return await self.session.get(self.model, id)

    def add(self, obj: ModelT) -> ModelT:
        self.session.add(obj)  # no I/O: add() stays synchronous on AsyncSession
        return obj

    async def remove(self, obj: ModelT) -> None:
        await self.session.delete(obj)

    async def list(self, *where: ColumnElement[bool], limit: int | None = None) -> Sequence[ModelT]:
        stmt = select(self.model).where(*where).order_by(*self.model.__mapper__.primary_key)
        return (await self.session.scalars(stmt.limit(limit))).all()


# endregion


# region: unit-of-work
class AsyncUnitOfWork:
    """``async with AsyncUnitOfWork(factory) as uow:`` commits at the end or rolls back."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory

    async def __aenter__(self) -> AsyncUnitOfWork:
        self.session = self.session_factory()
        self.customers = AsyncRepository(self.session, Customer)
        self.orders = AsyncRepository(self.session, Order)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                await self.session.commit()
            else:
                await self.session.rollback()
        finally:
            await self.session.close()


# endregion


# region: service
async def open_account(
    session_factory: async_sessionmaker[AsyncSession], email: str, order_totals: list[int]
) -> int:
    async with AsyncUnitOfWork(session_factory) as uow:
        customer = uow.customers.add(Customer(email=email))
        await uow.session.flush()  # the id is known; nothing is committed yet
        for total in order_totals:
            if total <= 0:
                raise ValueError(f"order total must be positive, got {total}")
            uow.orders.add(Order(customer=customer, total_cents=total))
        return customer.id


# endregion


async def add_without_unit_of_work(
    session_factory: async_sessionmaker[AsyncSession], email: str
) -> int:
    async with session_factory() as session:
        repo = AsyncRepository(session, Customer)
        repo.add(Customer(email=email))
        await session.flush()
        return len(await repo.list())  # closes without commit: rolled back


async def count_rows(session_factory: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with session_factory() as session:
        return {
            model.__tablename__: (
                await session.scalars(select(func.count()).select_from(model))
            ).one()
            for model in (Customer, Order)
        }


async def main(url: str = "sqlite+aiosqlite://") -> dict[str, int]:
    # region: usage
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    # expire_on_commit=False: nothing reloads lazily (and implicitly) after a commit.
    session_factory = async_sessionmaker(engine, expire_on_commit=False)
    await open_account(session_factory, "ada@example.com", [1200, 300])
    # endregion
    try:
        await open_account(session_factory, "bob@example.com", [500, -1])
    except ValueError as error:
        print("rolled back:", error)
    counts = await count_rows(session_factory)
    print("rows:", counts)
    await engine.dispose()
    return counts


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:2]))
