"""JSON null or SQL NULL: what Python None stores in a JSON column, and how to query each.

By default None is written as the JSON value null (the text 'null'), not as SQL NULL; an
attribute never set stays SQL NULL. none_as_null=True stores None as SQL NULL. Both read
back as None in Python.

Backends: sqlite, postgresql
Run: python examples/patterns/jsondoc_nulls.py [DATABASE_URL]
"""

# lint: ignore-file[NC001]  (naming conventions: see migr_models.py)

from __future__ import annotations

import sys

# region: imports
from typing import Any

from sqlalchemy import JSON, String, cast, create_engine, null, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

# endregion


class Base(DeclarativeBase):
    pass


# region: model
class Reading(Base):
    __tablename__ = "reading"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Default: None is stored as JSON null ('null'), not SQL NULL.
    extra: Mapped[Any] = mapped_column(JSON().with_variant(JSONB(), "postgresql"), nullable=True)
    # none_as_null=True: None is stored as SQL NULL.
    note: Mapped[Any] = mapped_column(
        JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql"),
        nullable=True,
    )


# endregion


def seed(session: Session) -> None:
    # region: writes
    session.add_all(
        [
            Reading(id=1, extra=None, note=None),  # extra: JSON null; note: SQL NULL
            Reading(id=2),  # never set: SQL NULL in both columns
            Reading(id=3, extra=null(), note=JSON.NULL),  # say which one you mean
            Reading(id=4, extra={"unit": "C"}, note=["ok"]),
        ]
    )
    # endregion
    session.commit()


# region: queries
def ids_where_sql_null(session: Session, column: Any) -> list[int]:
    # IS NULL matches SQL NULL only, never a stored JSON null.
    stmt = select(Reading.id).where(column.is_(None)).order_by(Reading.id)
    return list(session.scalars(stmt))


def ids_where_json_null(session: Session, column: Any) -> list[int]:
    # A JSON null is the text 'null': cast the document to a string (SQLite and PostgreSQL).
    stmt = select(Reading.id).where(cast(column, String) == "null").order_by(Reading.id)
    return list(session.scalars(stmt))


# endregion


def main(url: str = "sqlite://") -> dict[str, list[int]]:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        seed(session)
        result = {
            "extra IS NULL": ids_where_sql_null(session, Reading.extra),
            "extra is JSON null": ids_where_json_null(session, Reading.extra),
            "note IS NULL": ids_where_sql_null(session, Reading.note),
            "note is JSON null": ids_where_json_null(session, Reading.note),
        }
    engine.dispose()
    for key, value in result.items():
        print(f"{key}: {value}")
    return result


if __name__ == "__main__":
    main(*sys.argv[1:2])
