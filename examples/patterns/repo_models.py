"""Models shared by the repository and unit-of-work examples: customers and their orders.

Backends: sqlite, postgresql
Run: python examples/patterns/repo_models.py [DATABASE_URL]
"""
# lint: ignore-file[ASY001]  (the async repository eager-loads what it returns)

# lint: ignore-file[NC001]  (naming conventions: see migr_models.py)

from __future__ import annotations

import sys

from sqlalchemy import ForeignKey, String, create_engine, inspect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


# region: models
class Base(DeclarativeBase):
    pass


class Customer(Base):
    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    orders: Mapped[list[Order]] = relationship(back_populates="customer")


class Order(Base):
    __tablename__ = "customer_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    total_cents: Mapped[int]
    customer: Mapped[Customer] = relationship(back_populates="orders")


# endregion


def main(url: str = "sqlite://") -> list[str]:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    tables = sorted(inspect(engine).get_table_names())
    engine.dispose()
    print("tables:", tables)
    return tables


if __name__ == "__main__":
    main(*sys.argv[1:2])
