"""JSON columns: portable JSON that becomes JSONB on PostgreSQL, indexing into documents and
comparing the values found there with as_string(), as_integer(), as_boolean().

Backends: sqlite, postgresql
Run: python examples/patterns/jsondoc_queries.py [DATABASE_URL]
"""

# lint: ignore-file[NC001]  (naming conventions: see migr_models.py)

from __future__ import annotations

import sys

# region: imports
from typing import Any

from sqlalchemy import JSON, String, create_engine, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

# endregion


# region: model
# JSON everywhere, JSONB on PostgreSQL: binary storage, comparable, indexable with GIN.
JsonDocument = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    pass


class Gadget(Base):
    __tablename__ = "gadget"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    specs: Mapped[dict[str, Any]] = mapped_column(JsonDocument)


# endregion

GADGETS = {
    "lamp": {"color": "red", "grams": 900, "wireless": False, "size": {"width": 20}},
    "phone": {"color": "black", "grams": 180, "wireless": True, "size": {"width": 7}},
    "radio": {"color": "red", "grams": 1500, "wireless": True, "size": {"width": 30}},
}


def seed(session: Session) -> None:
    session.add_all(Gadget(name=name, specs=specs) for name, specs in GADGETS.items())
    session.commit()


# region: compare
def names_by_color(session: Session, color: str) -> list[str]:
    # specs["color"] is still JSON; as_string() extracts it as text to compare with a str.
    stmt = select(Gadget.name).where(Gadget.specs["color"].as_string() == color)
    return list(session.scalars(stmt.order_by(Gadget.name)))


def names_heavier_than(session: Session, grams: int) -> list[str]:
    stmt = select(Gadget.name).where(Gadget.specs["grams"].as_integer() > grams)
    return list(session.scalars(stmt.order_by(Gadget.name)))


def wireless_names(session: Session) -> list[str]:
    stmt = select(Gadget.name).where(Gadget.specs["wireless"].as_boolean().is_(True))
    return list(session.scalars(stmt.order_by(Gadget.name)))


# endregion


# region: paths
def names_wider_than(session: Session, width: int) -> list[str]:
    # A tuple is a path into nested objects (and list positions): size -> width.
    stmt = select(Gadget.name).where(Gadget.specs[("size", "width")].as_integer() > width)
    return list(session.scalars(stmt.order_by(Gadget.name)))


def widths(session: Session) -> dict[str, int]:
    # Chained indexes work too, in SELECT as well as WHERE.
    width = Gadget.specs["size"]["width"].as_integer()
    rows = session.execute(select(Gadget.name, width).order_by(Gadget.name))
    return {name: value for name, value in rows}


# endregion


def main(url: str = "sqlite://") -> dict[str, Any]:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        seed(session)
        result = {
            "red": names_by_color(session, "red"),
            "heavy": names_heavier_than(session, 500),
            "wireless": wireless_names(session),
            "wide": names_wider_than(session, 10),
            "widths": widths(session),
        }
    engine.dispose()
    for key, value in result.items():
        print(f"{key}: {value}")
    return result


if __name__ == "__main__":
    main(*sys.argv[1:2])
