"""Models for the async examples: an AsyncAttrs base, a lazy and a lazy="raise" relationship.

Backends: sqlite, postgresql
Run: python examples/async/async_models.py [ASYNC_DATABASE_URL]
"""

# lint: ignore-file[NC001]  (naming conventions: see migr_models.py)
# lint: ignore-file[ASY001]  (the lazy-default region shows a lazy load on purpose)

from __future__ import annotations

import asyncio
import sys

# region: imports
from sqlalchemy import ForeignKey, String, func, select
from sqlalchemy.ext.asyncio import AsyncAttrs, AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# endregion


# region: base
# AsyncAttrs adds obj.awaitable_attrs.<name>: an awaitable way to load any attribute.
class Base(AsyncAttrs, DeclarativeBase):
    pass


# endregion


# region: lazy-default
class Team(Base):
    __tablename__ = "team"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)

    # Default lazy="select": loads on first attribute access, which under asyncio means
    # IO where no await is possible -> MissingGreenlet, unless loaded eagerly or awaited.
    members: Mapped[list[Member]] = relationship(back_populates="team", order_by="Member.id")


class Member(Base):
    __tablename__ = "member"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)

    team: Mapped[Team] = relationship(back_populates="members")


# endregion


# region: lazy-raise
class Project(Base):
    __tablename__ = "project"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)

    # lazy="raise": touching tasks without loading them eagerly raises at once, naming
    # the attribute, and sends no SQL. A safe default for every relationship in async code.
    tasks: Mapped[list[Task]] = relationship(
        back_populates="project", lazy="raise", order_by="Task.id"
    )


class Task(Base):
    __tablename__ = "task"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)

    project: Mapped[Project] = relationship(back_populates="tasks", lazy="raise")


# endregion


# region: event
class Event(Base):
    """A log table that grows large: read it by streaming, not with .all()."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)


# endregion


async def seed(session: AsyncSession) -> None:
    """Team "core" with three members, project "launch" with two tasks."""
    session.add(Team(name="core", members=[Member(name=n) for n in ("ada", "grace", "linus")]))
    session.add(Project(name="launch", tasks=[Task(title="write"), Task(title="ship")]))
    await session.commit()


async def main(url: str = "sqlite+aiosqlite://") -> dict[str, int]:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    async with AsyncSession(engine) as session:
        await seed(session)
        counts = {
            model.__tablename__: (
                await session.scalars(select(func.count()).select_from(model))
            ).one()
            for model in (Team, Member, Project, Task)
        }
    await engine.dispose()
    print("rows per table:", counts)
    return counts


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:2]))
