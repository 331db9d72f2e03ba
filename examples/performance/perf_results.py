"""Reading a large result: ORM objects, streamed objects, Core rows and column tuples.

Every variant returns the sum of ``product.price`` over all rows. ``scripts/bench.py --suite
results`` times each one and, in a second run under tracemalloc, its peak Python memory.

Backends: sqlite, postgresql
Run: python examples/performance/perf_results.py [DATABASE_URL]
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from collections.abc import Callable

from perf_models import Product, fresh_schema, seed_products

# region: imports
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import Session

# endregion

# region: orm-all
BATCH = 1000  # rows per fetch when streaming


def orm_all(engine: Engine) -> int:
    # Every row becomes an ORM object, all of them held in memory at once.
    with Session(engine) as session:
        products = session.scalars(select(Product)).all()
        return sum(p.price for p in products)


# endregion


# region: orm-yield-per
def orm_yield_per(engine: Engine, batch: int = BATCH) -> int:
    # yield_per: objects arrive `batch` at a time (a server-side cursor on PostgreSQL);
    # each batch can be freed once the loop moves on.
    with Session(engine) as session:
        stmt = select(Product).execution_options(yield_per=batch)
        return sum(p.price for p in session.scalars(stmt))


# endregion


# region: core-rows
def core_rows(engine: Engine) -> int:
    # Core rows: named tuples of every column, no identity map, no object state.
    with engine.connect() as conn:
        rows = conn.execute(select(Product.__table__)).all()
        return sum(row.price for row in rows)


# endregion


# region: core-yield-per
def core_yield_per(engine: Engine, batch: int = BATCH) -> int:
    # Core rows, streamed `batch` at a time.
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=batch).execute(select(Product.__table__))
        return sum(row.price for row in result)


# endregion


# region: columns
def columns(engine: Engine) -> int:
    # Only the columns the task needs, as tuples: the least work per row.
    with Session(engine) as session:
        return sum(price for (price,) in session.execute(select(Product.price)).all())


# endregion

VARIANTS: dict[str, Callable[[Engine], int]] = {
    "orm_all": orm_all,
    "orm_yield_per": orm_yield_per,
    "core_rows": core_rows,
    "core_yield_per": core_yield_per,
    "columns": columns,
}


# region: peak-memory
def peak_memory(call: Callable[[], object]) -> int:
    """Peak bytes of Python objects allocated while call() runs (tracemalloc).

    Memory the driver allocates in C (libpq's result buffer, for one) is not counted.
    """
    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        call()
        return tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()


# endregion


def main(url: str = "sqlite://", *, n: int = 1000) -> dict[str, int]:
    engine = create_engine(url)
    fresh_schema(engine)
    seed_products(engine, n)
    sums = {}
    for name, variant in VARIANTS.items():
        sums[name] = variant(engine)
        print(f"{name}: sum of prices {sums[name]}")
    engine.dispose()
    return sums


if __name__ == "__main__":
    main(*sys.argv[1:2])
