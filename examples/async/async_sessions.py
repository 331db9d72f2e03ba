"""AsyncEngine, async_sessionmaker(expire_on_commit=False), run_sync, a session per task, dispose.

Backends: sqlite, postgresql
Run: python examples/async/async_sessions.py [ASYNC_DATABASE_URL]

The default is a SQLite file, not ``sqlite+aiosqlite://``: in-memory SQLite gets a StaticPool,
one connection shared by every session, so concurrent sessions would mix their transactions.
"""

from __future__ import annotations

import asyncio
import sys

from async_models import Base, Member, Team

# region: imports
from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

# endregion


def make_session_factory(url: str) -> async_sessionmaker[AsyncSession]:
    # region: factory
    # One AsyncEngine per database per process; the URL names an async driver:
    # "postgresql+asyncpg://..." or "sqlite+aiosqlite:///file.db".
    engine = create_async_engine(url, pool_pre_ping=True)
    # expire_on_commit=False: objects keep their loaded values after commit. With the
    # default (True) the next attribute access reloads, which is IO -> MissingGreenlet.
    SessionLocal = async_sessionmaker(engine, expire_on_commit=False)
    # endregion
    return SessionLocal


# region: run-sync
async def create_tables(engine: AsyncEngine) -> None:
    # metadata.create_all is sync-only: run_sync hands it a sync Connection.
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)


async def table_names(engine: AsyncEngine) -> list[str]:
    # inspect() has no async form either; run it inside run_sync the same way.
    async with engine.connect() as conn:
        return await conn.run_sync(lambda sync_conn: inspect(sync_conn).get_table_names())


# endregion


# region: session-run-sync
def team_names(session: Session) -> list[str]:
    """Existing sync code, written for a plain Session."""
    return list(session.scalars(select(Team.name).order_by(Team.name)))


async def team_names_from_async(SessionLocal: async_sessionmaker[AsyncSession]) -> list[str]:
    # AsyncSession.run_sync calls it with the sync Session inside; its IO is awaited for it.
    async with SessionLocal() as session:
        return await session.run_sync(team_names)


# endregion


# region: expire-on-commit
async def team_name_after_default_commit(engine: AsyncEngine, name: str) -> str:
    async with AsyncSession(engine) as session:  # expire_on_commit=True, the default
        team = Team(name=name)
        session.add(team)
        await session.commit()  # expires team.name
        return team.name  # a reload is IO in a plain attribute access: MissingGreenlet


async def team_name_after_commit(SessionLocal: async_sessionmaker[AsyncSession], name: str) -> str:
    async with SessionLocal() as session:  # the factory set expire_on_commit=False
        team = Team(name=name)
        session.add(team)
        await session.commit()
    return team.name  # the value from before the commit; no SQL, works after close too


# endregion


# region: session-per-task
async def add_member(
    SessionLocal: async_sessionmaker[AsyncSession], team_id: int, name: str
) -> None:
    # Each task opens its own session: its own connection, its own transaction.
    async with SessionLocal.begin() as session:
        session.add(Member(team_id=team_id, name=name))


async def add_members_concurrently(
    SessionLocal: async_sessionmaker[AsyncSession], team_id: int, names: list[str]
) -> None:
    # Concurrent sessions hold one pooled connection each: keep the number of tasks within
    # pool_size + max_overflow (5 + 10 by default) or the rest wait for a free connection.
    await asyncio.gather(*(add_member(SessionLocal, team_id, name) for name in names))


# endregion


# region: shared-session
async def add_members_sharing_one_session(
    SessionLocal: async_sessionmaker[AsyncSession], team_id: int, names: list[str]
) -> list[BaseException | None]:
    # WRONG: one AsyncSession used by several tasks at once. While one task waits on IO
    # the next one uses the session too, and it refuses: InvalidRequestError ("concurrent
    # operations are not permitted") or IllegalStateChangeError. All tasks also share one
    # transaction, so which task's commit saves whose rows is down to timing.
    async with SessionLocal() as session:

        async def add(name: str) -> None:
            session.add(Member(team_id=team_id, name=name))
            await session.commit()

        return await asyncio.gather(*(add(name) for name in names), return_exceptions=True)


# endregion


# region: shutdown
async def shutdown(engine: AsyncEngine) -> None:
    # Close the pooled connections while the event loop still runs. Skipping this leaves
    # them open after the loop is gone, to be garbage collected unclosed (ResourceWarning).
    await engine.dispose()


# endregion


async def add_team(SessionLocal: async_sessionmaker[AsyncSession], name: str) -> int:
    async with SessionLocal.begin() as session:
        team = Team(name=name)
        session.add(team)
        await session.flush()
        return team.id


async def count_members(SessionLocal: async_sessionmaker[AsyncSession]) -> int:
    async with SessionLocal() as session:
        return (await session.scalars(select(func.count()).select_from(Member))).one()


async def main(url: str = "sqlite+aiosqlite:///async_sessions.db") -> None:
    SessionLocal = make_session_factory(url)
    engine = SessionLocal.kw["bind"]
    await create_tables(engine)
    print("tables:", sorted(await table_names(engine)))
    print("name after commit:", await team_name_after_commit(SessionLocal, "platform"))
    print("teams, read by sync code via run_sync:", await team_names_from_async(SessionLocal))
    team_id = await add_team(SessionLocal, "core")
    await add_members_concurrently(SessionLocal, team_id, [f"member {i}" for i in range(10)])
    print("members added by 10 concurrent tasks:", await count_members(SessionLocal))
    await shutdown(engine)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:2]))
