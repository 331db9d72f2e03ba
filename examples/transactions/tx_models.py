"""Small models the transaction examples share: bank accounts, a counter and a job queue.

Backends: sqlite, postgresql
Run: python examples/transactions/tx_models.py [DATABASE_URL]
"""

# lint: ignore-file[NC001]  (naming conventions: see migr_models.py)

from __future__ import annotations

import sys

# region: imports
from sqlalchemy import CheckConstraint, String, create_engine, inspect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# endregion


# region: models
class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "account"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(50), unique=True)
    balance: Mapped[int] = mapped_column(default=0)


class Counter(Base):
    __tablename__ = "counter"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class Job(Base):
    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    payload: Mapped[str] = mapped_column(String(100))
    claimed_by: Mapped[str | None] = mapped_column(String(50))  # NULL = waiting


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
