"""Streaming a large result in batches: stream_scalars / stream with yield_per.

Backends: sqlite, postgresql
Run: python examples/async/async_streaming.py [ASYNC_DATABASE_URL]
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter

from async_models import Base, Event

# region: imports
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

# endregion


async def add_events(session: AsyncSession, count: int) -> None:
    kinds = ("click", "view", "buy")
    rows = [{"kind": kinds[i % len(kinds)]} for i in range(count)]
    await session.execute(insert(Event), rows)  # one executemany, not `count` ORM objects
    await session.commit()


# region: stream-scalars
async def batch_sizes(session: AsyncSession, batch: int) -> list[int]:
    # yield_per: fetch `batch` rows at a time (a server-side cursor on PostgreSQL) instead
    # of buffering the whole result; partitions() hands them over one batch at a time.
    stmt = select(Event).order_by(Event.id).execution_options(yield_per=batch)
    result = await session.stream_scalars(stmt)
    sizes = []
    async for events in result.partitions():
        sizes.append(len(events))  # process the batch here, then let it go
    return sizes


# endregion


# region: yield-per-needs-stream
async def events_buffered(session: AsyncSession, batch: int) -> int:
    # WRONG: execute()/scalars() buffer the result, so with yield_per they refuse:
    # AsyncMethodRequired "Can't use the AsyncSession.execute() method with a server-side
    # cursor. Use the AsyncSession.stream() method ..."
    stmt = select(Event).execution_options(yield_per=batch)
    return len((await session.scalars(stmt)).all())


# endregion


# region: stream-rows
async def count_by_kind(session: AsyncSession) -> dict[str, int]:
    # session.stream() gives an AsyncResult of Row tuples: iterate with `async for`.
    stmt = select(Event.id, Event.kind).execution_options(yield_per=500)
    counts: Counter[str] = Counter()
    async for row in await session.stream(stmt):
        counts[row.kind] += 1
    return dict(counts)


# endregion


async def main(url: str = "sqlite+aiosqlite://", *, events: int = 2500) -> list[int]:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    async with AsyncSession(engine) as session:
        await add_events(session, events)
        sizes = await batch_sizes(session, batch=1000)
        print(f"{events} events streamed in batches of {sizes}")
        print("events by kind:", await count_by_kind(session))
    await engine.dispose()
    return sizes


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:2]))
