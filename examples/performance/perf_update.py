"""Updating many rows: per-object flushes, one unit-of-work flush, bulk by key, one UPDATE.

Every variant raises the price of every product by 1. tests/test_perf_update.py checks the
prices and counts the statements; ``scripts/bench.py --suite update`` times them.

Backends: sqlite, postgresql
Run: python examples/performance/perf_update.py [DATABASE_URL]
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from perf_models import Product, fresh_schema, seed_products

# region: imports
from sqlalchemy import Engine, create_engine, func, select, update
from sqlalchemy.orm import Session

# endregion


# region: per-object-flush
def per_object_flush(engine: Engine) -> None:
    # Naive: load every object, change it, flush it: one UPDATE round trip per row.
    with Session(engine) as session:
        for product in session.scalars(select(Product)).all():
            product.price += 1
            session.flush()
        session.commit()


# endregion


# region: unit-of-work
def unit_of_work(engine: Engine) -> None:
    # Change the loaded objects, flush once: the UPDATEs go out as one executemany.
    # Still loads every row as an object first.
    with Session(engine) as session:
        for product in session.scalars(select(Product)).all():
            product.price += 1
        session.commit()


# endregion


# region: bulk-by-pk
def bulk_by_primary_key(engine: Engine) -> None:
    # ORM bulk UPDATE by primary key: a list of dicts, each with the key and the new
    # values, sent as one executemany. Use it when every row gets its own value.
    with Session(engine) as session:
        current = session.execute(select(Product.id, Product.price)).all()
        session.execute(update(Product), [{"id": id_, "price": p + 1} for id_, p in current])
        session.commit()


# endregion


# region: single-update
def single_update(engine: Engine) -> None:
    # One UPDATE statement; the database does the work. Add .where(...) to touch a subset.
    with Session(engine) as session:
        session.execute(update(Product).values(price=Product.price + 1))
        session.commit()


# endregion

VARIANTS: dict[str, Callable[[Engine], None]] = {
    "per_object_flush": per_object_flush,
    "unit_of_work": unit_of_work,
    "bulk_by_primary_key": bulk_by_primary_key,
    "single_update": single_update,
}


def price_sum(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalars(select(func.sum(Product.price))).one())


def main(url: str = "sqlite://", *, n: int = 1000) -> dict[str, int]:
    engine = create_engine(url)
    fresh_schema(engine)
    seed_products(engine, n)
    sums = {"before": price_sum(engine)}
    for name, variant in VARIANTS.items():
        variant(engine)
        sums[name] = price_sum(engine)
        print(f"{name}: sum of prices {sums[name]}")
    engine.dispose()
    return sums


if __name__ == "__main__":
    main(*sys.argv[1:2])
