"""MissingGreenlet from lazy loading, and three fixes: selectinload, awaitable_attrs, lazy="raise".

Backends: sqlite, postgresql
Run: python examples/async/async_loading.py [ASYNC_DATABASE_URL]
"""

from __future__ import annotations

import asyncio
import sys

from async_models import Base, Project, Team, seed

# region: imports
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import selectinload

# endregion


# region: lazy-load-fails
async def member_names_lazy(session: AsyncSession, team_name: str) -> list[str]:
    team = (await session.scalars(select(Team).where(Team.name == team_name))).one()
    # team.members was not loaded: a plain attribute access cannot await the query,
    # so it raises sqlalchemy.exc.MissingGreenlet ("greenlet_spawn has not been called").
    return [member.name for member in team.members]


# endregion


# region: selectinload
async def member_names_selectin(session: AsyncSession, team_name: str) -> list[str]:
    # Fix 1 (the usual one): load the collection in the same await, 2 queries in all.
    stmt = select(Team).where(Team.name == team_name).options(selectinload(Team.members))
    team = (await session.scalars(stmt)).one()
    return [member.name for member in team.members]  # already loaded: no IO here


# endregion


# region: awaitable-attrs
async def member_names_awaited(session: AsyncSession, team_name: str) -> list[str]:
    # Fix 2: Base mixes in AsyncAttrs, so any lazy attribute can be awaited explicitly.
    team = (await session.scalars(select(Team).where(Team.name == team_name))).one()
    members = await team.awaitable_attrs.members  # the lazy load, done as an await
    return [member.name for member in members]


# endregion


# region: lazy-raise
async def task_titles_forgotten(session: AsyncSession, project_name: str) -> list[str]:
    project = (await session.scalars(select(Project).where(Project.name == project_name))).one()
    # Fix 3: Project.tasks is lazy="raise", so the mistake fails at once, sends no SQL and
    # names the attribute: InvalidRequestError "'Project.tasks' is not available due to
    # lazy='raise'". Found by the first test that touches it, whatever the driver.
    return [task.title for task in project.tasks]


async def task_titles(session: AsyncSession, project_name: str) -> list[str]:
    stmt = select(Project).where(Project.name == project_name).options(selectinload(Project.tasks))
    project = (await session.scalars(stmt)).one()
    return [task.title for task in project.tasks]


# endregion


async def main(url: str = "sqlite+aiosqlite://") -> dict[str, list[str]]:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    async with AsyncSession(engine) as session:
        await seed(session)
    result = {}
    for loader, name in (
        (member_names_selectin, "core"),
        (member_names_awaited, "core"),
        (task_titles, "launch"),
    ):
        async with AsyncSession(engine) as session:
            result[loader.__name__] = await loader(session, name)
        print(f"{loader.__name__}: {result[loader.__name__]}")
    await engine.dispose()
    return result


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:2]))
