"""Soft delete and per-tenant filtering for every query, relationship loads included.

A do_orm_execute listener adds with_loader_criteria() to each ORM SELECT; the criteria are
carried to the lazy and eager loads of the objects that SELECT returns.

Backends: sqlite, postgresql
Run: python examples/queries/qry_scoped.py [DATABASE_URL]
"""
# lint: ignore-file[NC001]  (naming conventions: see migr_models.py)

from __future__ import annotations

import sys

# region: imports
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, create_engine, event, select
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    ORMExecuteState,
    Session,
    mapped_column,
    relationship,
    selectinload,
    sessionmaker,
    with_loader_criteria,
)

# endregion


# region: models
class Base(DeclarativeBase):
    pass


class SoftDeleted:
    """Mixin: rows with deleted_at set are hidden from ordinary queries."""

    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class TenantOwned:
    """Mixin: every row belongs to one tenant."""

    tenant_id: Mapped[int] = mapped_column(index=True)


class Project(SoftDeleted, TenantOwned, Base):
    __tablename__ = "project"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    tasks: Mapped[list[Task]] = relationship(back_populates="project", order_by="Task.id")


class Task(SoftDeleted, TenantOwned, Base):
    __tablename__ = "task"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    # raise_on_sql: task.project works when the project is already in the session,
    # raises instead of sending a SELECT when it is not.
    project: Mapped[Project] = relationship(back_populates="tasks", lazy="raise_on_sql")


# endregion


# region: listener
class ScopedSession(Session):
    """Sessions of this class filter soft-deleted rows and other tenants' rows."""


class TenantNotSet(RuntimeError):
    """A ScopedSession ran a query with no info["tenant_id"] and no all_tenants opt-out."""


@event.listens_for(ScopedSession, "do_orm_execute")
def _scope_queries(state: ORMExecuteState) -> None:
    # Relationship and column loads inherit the criteria from the SELECT that loaded
    # their parent object, so only top-level SELECTs need the options added.
    if not state.is_select or state.is_column_load or state.is_relationship_load:
        return
    options = []
    if not state.execution_options.get("include_deleted", False):
        options.append(
            with_loader_criteria(
                SoftDeleted, lambda cls: cls.deleted_at.is_(None), include_aliases=True
            )
        )
    if not state.execution_options.get("all_tenants", False):
        tenant_id = state.session.info.get("tenant_id")
        if tenant_id is None:  # fail closed: a session nobody scoped must not see every tenant
            raise TenantNotSet("open the session with info={'tenant_id': ...}")
        options.append(
            with_loader_criteria(
                TenantOwned, lambda cls: cls.tenant_id == tenant_id, include_aliases=True
            )
        )
    state.statement = state.statement.options(*options)


# endregion


def seed(session: Session) -> None:
    """Tenant 1: project "site" (one deleted task) and a deleted project; tenant 2: "app"."""
    deleted = datetime(2024, 1, 1)
    site = Project(name="site", tenant_id=1)
    site.tasks = [
        Task(title="design", tenant_id=1),
        Task(title="old draft", tenant_id=1, deleted_at=deleted),
        Task(title="launch", tenant_id=1),
    ]
    app = Project(name="app", tenant_id=2, tasks=[Task(title="api", tenant_id=2)])
    session.add_all([site, app, Project(name="archive", tenant_id=1, deleted_at=deleted)])
    session.commit()


# region: usage
def task_titles_by_project(session: Session) -> dict[str, list[str]]:
    # Lazy loads of project.tasks are filtered too: no hand-written WHERE anywhere.
    projects = session.scalars(select(Project).order_by(Project.name))
    return {project.name: [task.title for task in project.tasks] for project in projects}


def task_titles_eager(session: Session) -> dict[str, list[str]]:
    stmt = select(Project).options(selectinload(Project.tasks)).order_by(Project.name)
    return {p.name: [t.title for t in p.tasks] for p in session.scalars(stmt)}


def all_project_names(session: Session) -> list[str]:
    # An admin view opts out of the soft-delete filter per statement.
    stmt = select(Project.name).order_by(Project.name)
    return list(session.scalars(stmt, execution_options={"include_deleted": True}))


# endregion


def main(url: str = "sqlite://") -> dict[str, object]:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as plain:
        seed(plain)
    # region: sessions
    Scoped = sessionmaker(engine, class_=ScopedSession)
    with Scoped(info={"tenant_id": 1}) as session:  # e.g. from the request's auth
        lazy = task_titles_by_project(session)
        eager = task_titles_eager(session)
        everything = all_project_names(session)
    # endregion
    engine.dispose()
    result: dict[str, object] = {"lazy": lazy, "eager": eager, "include_deleted": everything}
    for key, value in result.items():
        print(f"{key}: {value}")
    return result


if __name__ == "__main__":
    main(*sys.argv[1:2])
