from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, String, create_engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class Customer(Base):
    __tablename__ = "customer"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(100))


def make_engine(url: str) -> Engine:
    return create_engine(url)


def import_rows(engine: Engine, rows: Iterable[dict[str, Any]]) -> int:
    inserted = 0
    with Session(engine) as session:
        for row in rows:
            session.add(Customer(email=row["email"], name=row["name"]))
            try:
                session.flush()
            except IntegrityError:
                session.rollback()  # skip the duplicate
                continue
            inserted += 1
        session.commit()
    return inserted
