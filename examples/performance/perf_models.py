"""Models and helpers shared by the performance examples and scripts/bench.py.

Backends: sqlite, postgresql
Run: python examples/performance/perf_models.py [DATABASE_URL]
"""

# lint: ignore-file[NC001]  (naming conventions: see migr_models.py)

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# region: imports
from sqlalchemy import Engine, ForeignKey, String, create_engine, event, func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

# endregion


# region: models
class Base(DeclarativeBase):
    pass


class Product(Base):
    __tablename__ = "product"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    price: Mapped[int]


class Customer(Base):
    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    orders: Mapped[list[Order]] = relationship(back_populates="customer")


class Order(Base):
    __tablename__ = "customer_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    total: Mapped[int]
    customer: Mapped[Customer] = relationship(back_populates="orders")


# endregion


def product_rows(n: int) -> list[dict[str, Any]]:
    """N rows as plain dicts, the input every bulk-insert variant receives."""
    return [{"sku": f"SKU-{i:07d}", "name": f"product {i}", "price": i % 1000} for i in range(n)]


def fresh_schema(engine: Engine) -> None:
    """Drop and recreate this module's tables only (nothing else in the database is touched)."""
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)


def seed_products(engine: Engine, n: int) -> None:
    with engine.begin() as conn:
        conn.execute(insert(Product), product_rows(n))


def seed_customers(engine: Engine, customers: int, orders_each: int) -> None:
    with engine.begin() as conn:
        conn.execute(insert(Customer), [{"name": f"customer {i}"} for i in range(customers)])
        ids = conn.scalars(select(Customer.id).order_by(Customer.id)).all()
        orders = [{"customer_id": c, "total": c % 100 + k} for c in ids for k in range(orders_each)]
        conn.execute(insert(Order), orders)


def row_count(engine: Engine, model: type[Base]) -> int:
    with Session(engine) as session:
        return session.scalars(select(func.count()).select_from(model)).one()


# region: cursor-calls
@contextmanager
def cursor_calls(engine: Engine) -> Iterator[list[str]]:
    """Every statement SQLAlchemy hands to the driver while the block runs.

    One ``cursor.execute()`` or one ``cursor.executemany()`` call is one entry; SQL sent on the
    raw DBAPI connection (COPY, a hand-written executemany) bypasses the engine and is not seen.
    """
    calls: list[str] = []

    def record(
        conn: Connection,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        calls.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield calls
    finally:
        event.remove(engine, "before_cursor_execute", record)


# endregion


def main(url: str = "sqlite://", *, n: int = 1000) -> dict[str, int]:
    engine = create_engine(url)
    fresh_schema(engine)
    seed_products(engine, n)
    seed_customers(engine, n // 10, 3)
    counts = {m.__tablename__: row_count(engine, m) for m in (Product, Customer, Order)}
    Base.metadata.drop_all(engine)
    engine.dispose()
    print(counts)
    return counts


if __name__ == "__main__":
    main(*sys.argv[1:2])
