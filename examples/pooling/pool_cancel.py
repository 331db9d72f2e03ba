"""What a cancelled asyncio task leaves behind: nothing committed, no connection checked out.

PostgreSQL only (asyncpg): the interesting case is a task cancelled while the server runs its
statement. A client that disconnects, asyncio.timeout() and TaskGroup failures all cancel the
request's task the same way.

Backends: postgresql
Run: python examples/pooling/pool_cancel.py [DATABASE_URL]
"""

# lint: ignore-file[NC001]  (naming conventions: see migr_models.py)

from __future__ import annotations

import asyncio
import sys

# region: imports
from sqlalchemy import QueuePool, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# endregion


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "cancel_order"

    id: Mapped[int] = mapped_column(primary_key=True)


async def place_order(engine: AsyncEngine, order_id: int, seen: dict[str, int], where: str) -> None:
    """A request: insert, then wait in the database (where="database") or in Python."""
    async with AsyncSession(engine) as session:
        session.add(Order(id=order_id))
        await session.flush()  # the INSERT is sent; the transaction stays open
        seen["pid"] = await session.scalar(text("select pg_backend_pid()"))
        if where == "database":
            await session.execute(text("select pg_sleep(10)"))  # a slow query
        else:
            await asyncio.sleep(10)  # a slow HTTP call inside the transaction
        await session.commit()


async def cancel_midway(engine: AsyncEngine, order_id: int, where: str) -> dict[str, object]:
    """Cancel place_order while it waits; report what the pool and the server kept."""
    seen: dict[str, int] = {}
    task = asyncio.create_task(place_order(engine, order_id, seen, where))
    while "pid" not in seen:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)  # now inside pg_sleep or asyncio.sleep
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    async with engine.connect() as conn:
        rows = await conn.scalar(select(func.count()).where(Order.id == order_id))
        alive = await conn.scalar(
            text("select count(*) from pg_stat_activity where pid = :pid"), {"pid": seen["pid"]}
        )
        reused = seen["pid"] == await conn.scalar(text("select pg_backend_pid()"))
    assert isinstance(engine.pool, QueuePool)  # AsyncAdaptedQueuePool
    return {
        "rows committed": rows,
        "old session alive": bool(alive),
        "same connection reused": reused,
        "checked out": engine.pool.checkedout(),
    }


async def main(url: str) -> dict[str, dict[str, object]]:
    engine = create_async_engine(url, pool_size=1)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    found = {}
    for order_id, where in enumerate(("database", "python"), start=1):
        found[where] = await cancel_midway(engine, order_id, where)
        print(f"cancelled while waiting in {where}: {found[where]}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
    await engine.dispose()
    return found


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:2]))
