from __future__ import annotations

from sqlalchemy import Engine, update
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class Counter(Base):
    __tablename__ = "counter"
    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


def increment(engine: Engine, counter_id: int) -> int:
    with Session(engine) as session, session.begin():
        # The database adds 1 to what is stored now: no earlier read can go stale.
        stmt = (
            update(Counter)
            .where(Counter.id == counter_id)
            .values(value=Counter.value + 1)
            .returning(Counter.value)
        )
        return session.execute(stmt).scalar_one()
