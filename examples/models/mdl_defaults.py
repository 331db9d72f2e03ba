"""Server-side defaults: created_at/updated_at that the database fills, and what a bulk
update() does to onupdate; timezone-aware datetimes; UUID primary keys.

Backends: sqlite, postgresql
(server-generated UUIDs, gen_random_uuid(), are PostgreSQL 13+ only: created there only.)
Run: python examples/models/mdl_defaults.py [DATABASE_URL]
"""
# lint: ignore-file[NC001]  (naming conventions: see migr_models.py)

from __future__ import annotations

import sys

# region: imports
import uuid
from datetime import datetime

from sqlalchemy import DateTime, Engine, String, create_engine, func, select, text, update
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

# endregion


# region: timestamps
class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "note"

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(String(200))
    # server_default: the DDL default, so raw INSERTs get a value too.
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # onupdate: the ORM (and ORM-enabled update()) adds "updated_at = now()" to each UPDATE.
    # Raw SQL UPDATEs do not; use a trigger if those must stamp it too.
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


# endregion


# region: bulk-update
def bulk_rename(session: Session, old: str, new: str) -> None:
    # ORM-enabled update(): SET body=..., updated_at=now() (onupdate fires).
    session.execute(update(Note).where(Note.body == old).values(body=new))


def raw_rename(session: Session, old: str, new: str) -> None:
    # Plain SQL: updated_at keeps its old value.
    session.execute(text("UPDATE note SET body = :new WHERE body = :old"), {"new": new, "old": old})


# endregion


# region: uuid-client
class Ticket(Base):
    __tablename__ = "ticket"

    # Mapped[uuid.UUID] -> Uuid: native UUID on PostgreSQL, CHAR(32) on SQLite.
    # default=uuid.uuid4 runs in Python at flush, not in Ticket(): id is None until then.
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(String(100))


# endregion


# region: uuid-server
class PgTicket(Base):
    __tablename__ = "pg_ticket"

    # gen_random_uuid() is built into PostgreSQL 13+ (pgcrypto before that); the id is
    # read back with INSERT ... RETURNING. Not on SQLite, which has no UUID function.
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=func.gen_random_uuid())
    title: Mapped[str] = mapped_column(String(100))


# endregion


def create_schema(engine: Engine) -> None:
    names = ["note", "ticket"] + (["pg_ticket"] if engine.dialect.name == "postgresql" else [])
    Base.metadata.create_all(engine, tables=[Base.metadata.tables[n] for n in names])


def stamps(session: Session, body: str) -> tuple[datetime, datetime]:
    row = session.execute(select(Note.created_at, Note.updated_at).where(Note.body == body)).one()
    return row.created_at, row.updated_at


def main(url: str = "sqlite://") -> dict[str, object]:
    engine = create_engine(url)
    create_schema(engine)
    with Session(engine) as session:
        note = Note(body="draft")
        ticket = Ticket(title="printer")
        session.add_all([note, ticket])
        session.commit()
        created = note.created_at
        print(f"created_at={created!r} tzinfo={created.tzinfo} ticket.id={ticket.id}")
    engine.dispose()
    return {"tzinfo": created.tzinfo, "ticket_id": ticket.id}


if __name__ == "__main__":
    main(*sys.argv[1:2])
