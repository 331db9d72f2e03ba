from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, String, create_engine, event
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
    engine = create_engine(url)
    if engine.dialect.name == "sqlite" and engine.dialect.driver == "pysqlite":
        # sqlite3 sends no BEGIN before SAVEPOINT: the first savepoint would start (and its
        # RELEASE commit) a transaction of its own. Let SQLAlchemy emit BEGIN instead.

        @event.listens_for(engine, "connect")
        def stop_driver_begin(dbapi_connection: Any, connection_record: Any) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def emit_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN")

    return engine


def import_rows(engine: Engine, rows: Iterable[dict[str, Any]]) -> int:
    inserted = 0
    with Session(engine) as session, session.begin():
        for row in rows:
            try:
                with session.begin_nested():  # a duplicate undoes this row only
                    session.add(Customer(email=row["email"], name=row["name"]))
            except IntegrityError:
                continue
            inserted += 1
    return inserted
