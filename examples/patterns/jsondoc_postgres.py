"""PostgreSQL-only JSON: JSONB containment (@>) backed by a GIN index, and why a plain
JSON column cannot be compared with = (PostgreSQL has no json = json operator).

SQLite has neither JSONB operators nor GIN indexes, so this program runs on PostgreSQL only.

Backends: postgresql
Run: python examples/patterns/jsondoc_postgres.py postgresql+psycopg://...
"""

# lint: ignore-file[NC001]  (naming conventions: see migr_models.py)

from __future__ import annotations

import sys

# region: imports
from typing import Any

from jsondoc_queries import Gadget, seed
from sqlalchemy import JSON, Index, String, create_engine, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

# endregion


class Base(DeclarativeBase):
    pass


# region: gin
class Event(Base):
    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)  # JSONB itself: PostgreSQL only

    __table_args__ = (
        # jsonb_path_ops: a smaller, faster GIN index that serves @> (not the ? key operators).
        Index(
            "ix_event_payload",
            "payload",
            postgresql_using="gin",
            postgresql_ops={"payload": "jsonb_path_ops"},
        ),
    )


# endregion


# region: contains
def kinds_containing(session: Session, fragment: dict[str, Any]) -> list[str]:
    # payload @> '{"user": {"plan": "pro"}}': the document includes this fragment.
    stmt = select(Event.kind).where(Event.payload.contains(fragment)).order_by(Event.id)
    return list(session.scalars(stmt))


def gadgets_containing(session: Session, fragment: dict[str, Any]) -> list[str]:
    # A JSON().with_variant(JSONB) column has JSON's Python-side operators:
    # type_coerce() gives it JSONB's, such as contains() -> @>.
    stmt = select(Gadget.name).where(type_coerce(Gadget.specs, JSONB).contains(fragment))
    return list(session.scalars(stmt.order_by(Gadget.name)))


# endregion


# region: json-equals
class LegacyDoc(Base):
    __tablename__ = "legacy_doc"

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)  # json on PostgreSQL, not jsonb


def legacy_ids_equal_to(session: Session, body: dict[str, Any]) -> list[int]:
    # ProgrammingError on PostgreSQL: operator does not exist: json = json
    return list(session.scalars(select(LegacyDoc.id).where(LegacyDoc.body == body)))


def legacy_ids_with_status(session: Session, status: str) -> list[int]:
    # Compare an extracted value as text instead (or store the column as JSONB).
    stmt = select(LegacyDoc.id).where(LegacyDoc.body["status"].as_string() == status)
    return list(session.scalars(stmt))


# endregion


def seed_events(session: Session) -> None:
    session.add_all(
        [
            Event(kind="signup", payload={"user": {"id": 1, "plan": "pro"}, "tags": ["web"]}),
            Event(kind="signup", payload={"user": {"id": 2, "plan": "free"}, "tags": ["app"]}),
            Event(kind="upgrade", payload={"user": {"id": 2, "plan": "pro"}, "tags": ["app"]}),
        ]
    )
    session.add(LegacyDoc(body={"status": "open"}))
    session.commit()


def main(url: str) -> dict[str, Any]:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    Gadget.metadata.create_all(engine)
    with Session(engine) as session:
        seed_events(session)
        seed(session)
        result = {
            "pro users": kinds_containing(session, {"user": {"plan": "pro"}}),
            "tagged app": kinds_containing(session, {"tags": ["app"]}),
            "red gadgets": gadgets_containing(session, {"color": "red"}),
            "open legacy docs": legacy_ids_with_status(session, "open"),
        }
    engine.dispose()
    for key, value in result.items():
        print(f"{key}: {value}")
    return result


if __name__ == "__main__":
    main(*sys.argv[1:2])
