from __future__ import annotations

import asyncio
import random

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "account"
    id: Mapped[int] = mapped_column(primary_key=True)
    balance: Mapped[int]


RETRYABLE = {"40001", "40P01"}  # serialization_failure, deadlock_detected
MAX_ATTEMPTS = 10


async def _transfer_once(engine: AsyncEngine, source_id: int, target_id: int, amount: int) -> None:
    async with AsyncSession(engine) as session, session.begin():
        stmt = select(Account.id, Account.balance).where(Account.id.in_([source_id, target_id]))
        balances = dict((await session.execute(stmt)).all())
        if balances[source_id] < amount:
            raise ValueError("insufficient funds")
        for account_id, delta in ((source_id, -amount), (target_id, amount)):
            await session.execute(
                update(Account)
                .where(Account.id == account_id)
                .values(balance=balances[account_id] + delta)
            )


async def transfer(engine: AsyncEngine, source_id: int, target_id: int, amount: int) -> None:
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            return await _transfer_once(engine, source_id, target_id, amount)
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) not in RETRYABLE or attempt == MAX_ATTEMPTS:
                raise
            await asyncio.sleep(random.uniform(0, min(0.5, 0.01 * 2**attempt)))
