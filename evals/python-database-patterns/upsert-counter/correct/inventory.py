from __future__ import annotations

from sqlalchemy import Engine, String
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Stock(Base):
    __tablename__ = "stock"
    sku: Mapped[str] = mapped_column(String(32), primary_key=True)
    qty: Mapped[int] = mapped_column(default=0)


INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def add_stock(engine: Engine, sku: str, qty: int) -> None:
    stmt = INSERTS[engine.dialect.name](Stock).values(sku=sku, qty=qty)
    # One statement: insert the row, or add to the existing one; the database settles races.
    stmt = stmt.on_conflict_do_update(
        index_elements=[Stock.sku], set_={"qty": Stock.qty + stmt.excluded.qty}
    )
    with engine.begin() as conn:
        conn.execute(stmt)
