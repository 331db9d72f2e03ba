"""The table and the request/response schemas shared by the FastAPI examples.

Backends: sqlite, postgresql
Run: python examples/web/web_models.py [DATABASE_URL]
"""

# lint: ignore-file[NC001]  (naming conventions: see migr_models.py)

from __future__ import annotations

import sys

# region: models
from pydantic import BaseModel, ConfigDict
from sqlalchemy import String, create_engine, inspect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "item"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    price_cents: Mapped[int]


class ItemIn(BaseModel):
    name: str
    price_cents: int


class ItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # build from an ORM object's attributes

    id: int
    name: str
    price_cents: int


# endregion


def main(url: str = "sqlite://") -> list[str]:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    tables = inspect(engine).get_table_names()
    engine.dispose()
    print("tables:", tables)
    return tables


if __name__ == "__main__":
    main(*sys.argv[1:2])
