"""asyncpg-serialization-retry: SERIALIZABLE transfers that conflict are all applied in the end.

PostgreSQL only. Deterministic conflict: the grader updates accounts 1 and 2 in an open
transaction, starts three transfers (which take their snapshot, then wait on its row locks),
and commits: each transfer's first attempt then fails with SQLSTATE 40001.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

TRANSFERS = [(1, 2, 10), (2, 1, 5), (1, 3, 20)]


async def scenario(url, bank):
    engine = create_async_engine(url, isolation_level="SERIALIZABLE")
    other = create_async_engine(url)  # the grader's own connections, READ COMMITTED
    try:
        async with engine.begin() as conn:
            await conn.run_sync(bank.Base.metadata.create_all)
        async with AsyncSession(engine) as session, session.begin():
            session.add_all([bank.Account(id=i, balance=100) for i in (1, 2, 3)])

        async with other.connect() as holder, other.connect() as probe:
            await holder.execute(text("update account set balance = balance where id in (1, 2)"))
            calls = asyncio.gather(
                *(bank.transfer(engine, *args) for args in TRANSFERS), return_exceptions=True
            )
            for _ in range(100):  # up to 5 s for every transfer to wait on the held rows
                await asyncio.sleep(0.05)
                waiting = await probe.scalar(
                    text("select count(*) from pg_locks where not granted")
                )
                await probe.rollback()
                if waiting >= len(TRANSFERS):
                    break
            await holder.commit()  # rows changed after the transfers' snapshots: 40001
            outcomes = await asyncio.wait_for(calls, 30)

        async with AsyncSession(engine) as session:
            rows = (await session.execute(select(bank.Account.id, bank.Account.balance))).all()
        return outcomes, dict(rows)
    finally:
        await engine.dispose()
        await other.dispose()


@pytest.mark.backends("postgresql")
def test_conflicting_serializable_transfers_all_land(db, solution):
    bank = solution("bank")
    outcomes, balances = asyncio.run(scenario(db.async_url, bank))
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert not errors, f"{len(errors)} of {len(TRANSFERS)} transfers raised: {errors[0]!r}"
    assert balances == {1: 75, 2: 105, 3: 120}
