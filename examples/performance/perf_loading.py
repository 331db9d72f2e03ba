"""Loading N customers with their orders: lazy (N+1) against the three eager loaders.

Every variant returns ``{customer id: sum of its order totals}``. tests/test_perf_loading.py
counts the statements each sends; ``scripts/bench.py --suite loading`` times them.

Backends: sqlite, postgresql
Run: python examples/performance/perf_loading.py [DATABASE_URL]
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from perf_models import Customer, cursor_calls, fresh_schema, seed_customers

# region: imports
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import Session, joinedload, selectinload, subqueryload

# endregion


# region: lazy
def lazy(engine: Engine) -> dict[int, int]:
    # 1 SELECT for the customers, then 1 per customer when .orders is first touched.
    with Session(engine) as session:
        customers = session.scalars(select(Customer)).all()
        return {c.id: sum(o.total for o in c.orders) for c in customers}


# endregion


# region: selectinload
def selectin(engine: Engine) -> dict[int, int]:
    # 1 SELECT for the customers, then 1 per 500 customers: ... WHERE customer_id IN (...).
    with Session(engine) as session:
        stmt = select(Customer).options(selectinload(Customer.orders))
        customers = session.scalars(stmt).all()
        return {c.id: sum(o.total for o in c.orders) for c in customers}


# endregion


# region: joinedload
def joined(engine: Engine) -> dict[int, int]:
    # 1 SELECT ... LEFT OUTER JOIN: each customer comes back once per order, so .unique().
    with Session(engine) as session:
        stmt = select(Customer).options(joinedload(Customer.orders))
        customers = session.scalars(stmt).unique().all()
        return {c.id: sum(o.total for o in c.orders) for c in customers}


# endregion


# region: subqueryload
def subquery(engine: Engine) -> dict[int, int]:
    # 2 SELECTs: the customers, then the orders joined to the first query run again as a
    # subquery. Older than selectinload; prefer selectinload, composite keys included.
    with Session(engine) as session:
        stmt = select(Customer).options(subqueryload(Customer.orders))
        customers = session.scalars(stmt).all()
        return {c.id: sum(o.total for o in c.orders) for c in customers}


# endregion

VARIANTS: dict[str, Callable[[Engine], dict[int, int]]] = {
    "lazy": lazy,
    "selectinload": selectin,
    "joinedload": joined,
    "subqueryload": subquery,
}


def main(url: str = "sqlite://", *, customers: int = 1000, orders_each: int = 3) -> dict[str, int]:
    engine = create_engine(url)
    fresh_schema(engine)
    seed_customers(engine, customers, orders_each)
    statements = {}
    for name, variant in VARIANTS.items():
        with cursor_calls(engine) as calls:
            totals = variant(engine)
        statements[name] = len(calls)
        print(f"{name}: {len(totals)} customers in {len(calls)} statements")
    engine.dispose()
    return statements


if __name__ == "__main__":
    main(*sys.argv[1:2])
