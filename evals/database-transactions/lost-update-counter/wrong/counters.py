from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class Counter(Base):
    __tablename__ = "counter"
    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


def increment(engine: Engine, counter_id: int) -> int:
    with Session(engine) as session, session.begin():
        counter = session.get_one(Counter, counter_id)
        counter.value += 1
        session.flush()
        return counter.value
