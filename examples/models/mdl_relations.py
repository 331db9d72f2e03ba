"""Large collections with WriteOnlyMapped (sync and async), single- and joined-table
inheritance and what polymorphic queries cost, a before_flush event that stamps and validates.

Backends: sqlite, postgresql
Run: python examples/models/mdl_relations.py [DATABASE_URL]
"""
# lint: ignore-file[ASY001]  (Message.channel is read in sync code only)
# lint: ignore-file[NC001]  (naming conventions: see migr_models.py)

from __future__ import annotations

import sys

# region: imports
from typing import Any

from sqlalchemy import ForeignKey, String, create_engine, event, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    WriteOnlyMapped,
    mapped_column,
    relationship,
    sessionmaker,
    with_polymorphic,
)
from sqlalchemy.orm.unitofwork import UOWTransaction
from sqlite_engine import set_sqlite_pragmas

# endregion


# region: write-only
class Base(DeclarativeBase):
    pass


class Channel(Base):
    __tablename__ = "channel"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    # Never loaded as a whole: no lazy load, so no MissingGreenlet under asyncio either.
    # Replaces lazy="dynamic" (legacy), whose query runs on access: MissingGreenlet in async.
    messages: WriteOnlyMapped[Message] = relationship(
        back_populates="channel", cascade="all, delete-orphan", passive_deletes=True
    )


class Message(Base):
    __tablename__ = "message"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("channel.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(String(200))
    channel: Mapped[Channel] = relationship(back_populates="messages")


# endregion


# region: write-only-use
def post(session: Session, channel: Channel, *bodies: str) -> None:
    channel.messages.add_all(Message(body=b) for b in bodies)  # queued: INSERTs at flush


def latest(session: Session, channel: Channel, n: int) -> list[str]:
    stmt = channel.messages.select().order_by(Message.id.desc()).limit(n)  # WHERE channel_id = ?
    return [m.body for m in session.scalars(stmt)]


def message_count(session: Session, channel: Channel) -> int:
    stmt = select(func.count()).select_from(channel.messages.select().subquery())
    return session.scalar(stmt) or 0


def delete_channel(session: Session, channel: Channel) -> None:
    # passive_deletes=True: one DELETE for the channel, none loaded; the database's
    # ON DELETE CASCADE removes the messages (SQLite: only with PRAGMA foreign_keys=ON).
    session.delete(channel)
    session.flush()


# endregion


# region: write-only-async
async def latest_async(session: AsyncSession, channel: Channel, n: int) -> list[str]:
    stmt = channel.messages.select().order_by(Message.id.desc()).limit(n)
    return [m.body for m in await session.scalars(stmt)]


async def message_count_async(session: AsyncSession, channel: Channel) -> int:
    stmt = select(func.count()).select_from(channel.messages.select().subquery())
    return await session.scalar(stmt) or 0


# endregion


# region: single-table
class Vehicle(Base):
    __tablename__ = "vehicle"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(50))
    changed_by: Mapped[str | None] = mapped_column(String(50))
    __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "vehicle"}


class Car(Vehicle):
    # One table for the hierarchy: subclass columns live in "vehicle" and must be nullable
    # (Mapped[int] would be NOT NULL and every Truck INSERT would fail).
    seats: Mapped[int | None]
    __mapper_args__ = {"polymorphic_identity": "car"}


class Truck(Vehicle):
    payload_kg: Mapped[int | None]
    __mapper_args__ = {"polymorphic_identity": "truck"}


# endregion


# region: joined-table
class Employee(Base):
    __tablename__ = "employee"

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(50))
    __mapper_args__ = {"polymorphic_on": "type", "polymorphic_identity": "employee"}


class Engineer(Employee):
    # A table per subclass, joined on the primary key; its columns can be NOT NULL.
    __tablename__ = "engineer"

    id: Mapped[int] = mapped_column(ForeignKey("employee.id"), primary_key=True)
    language: Mapped[str] = mapped_column(String(30))
    __mapper_args__ = {"polymorphic_identity": "engineer"}


class Manager(Employee):
    __tablename__ = "manager"

    id: Mapped[int] = mapped_column(ForeignKey("employee.id"), primary_key=True)
    reports: Mapped[int]
    __mapper_args__ = {"polymorphic_identity": "manager"}


# endregion


# region: polymorphic-queries
def vehicle_kinds(session: Session) -> list[str]:
    # Single table: one SELECT returns Car and Truck objects with all their columns.
    return [type(v).__name__ for v in session.scalars(select(Vehicle).order_by(Vehicle.id))]


def skills_lazy(session: Session) -> list[str]:
    # Joined: SELECT FROM employee only; each Engineer.language is one more SELECT (N+1).
    staff = session.scalars(select(Employee).order_by(Employee.id)).all()
    return [e.language for e in staff if isinstance(e, Engineer)]


def skills_joined(session: Session) -> list[str]:
    # with_polymorphic: LEFT OUTER JOIN every subclass table in the one SELECT.
    every = with_polymorphic(Employee, "*")
    staff = session.scalars(select(every).order_by(every.id)).all()
    return [e.language for e in staff if isinstance(e, Engineer)]


# endregion


# region: before-flush
AuditedSession = sessionmaker()  # AuditedSession(bind=engine, info={"user": "alice"})


@event.listens_for(AuditedSession, "before_flush")
def _stamp_and_validate(session: Session, context: UOWTransaction, instances: Any) -> None:
    # Runs before the unit of work is planned: what it changes is written in this flush.
    # (Listen on Session itself to cover every session in the process.)
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Vehicle):
            obj.changed_by = session.info.get("user")
        if isinstance(obj, Car) and obj.seats is not None and obj.seats < 1:
            raise ValueError(f"car {obj.name!r} needs at least one seat")  # nothing is written


# endregion


def main(url: str = "sqlite://") -> dict[str, object]:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        set_sqlite_pragmas(engine)  # foreign keys on: ON DELETE CASCADE works
    Base.metadata.create_all(engine)
    with AuditedSession(bind=engine, info={"user": "alice"}) as session:
        general = Channel(name="general")
        session.add(general)
        post(session, general, "hi", "hello")
        session.add_all([Car(name="Mini", seats=4), Truck(name="Actros", payload_kg=18000)])
        session.add_all([Engineer(name="Ada", language="Python"), Manager(name="Bo", reports=3)])
        session.commit()
        result = {
            "messages": message_count(session, general),
            "kinds": vehicle_kinds(session),
            "skills": skills_joined(session),
        }
        delete_channel(session, general)
        session.commit()
        result["messages_left_after_delete"] = session.scalar(select(func.count(Message.id)))
    print(result)
    engine.dispose()
    return result


if __name__ == "__main__":
    main(*sys.argv[1:2])
