from __future__ import annotations

from sqlalchemy import Engine, String
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class Stock(Base):
    __tablename__ = "stock"
    sku: Mapped[str] = mapped_column(String(32), primary_key=True)
    qty: Mapped[int] = mapped_column(default=0)


def add_stock(engine: Engine, sku: str, qty: int) -> None:
    with Session(engine) as session, session.begin():
        stock = session.get(Stock, sku)
        if stock is None:
            session.add(Stock(sku=sku, qty=qty))
        else:
            stock.qty += qty
