"""Inserting many rows: from one flush per object down to PostgreSQL COPY.

Every variant inserts the same list of dicts into ``product``. ``scripts/bench.py --suite insert``
times them; tests/test_perf_insert.py checks the rows and the statements each one sends.
COPY is PostgreSQL-only (psycopg's ``cursor.copy()``); on SQLite it is skipped.

Backends: sqlite, postgresql
Run: python examples/performance/perf_insert.py [DATABASE_URL]
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from perf_models import Product, fresh_schema, product_rows, row_count

# region: imports
from sqlalchemy import Engine, create_engine, insert
from sqlalchemy.orm import Session

# endregion


# region: add-flush-each
def orm_add_flush_each(engine: Engine, rows: list[dict[str, Any]]) -> None:
    # Naive: one INSERT round trip per object, plus unit-of-work bookkeeping for each.
    with Session(engine) as session:
        for row in rows:
            session.add(Product(**row))
            session.flush()
        session.commit()


# endregion


# region: add-all
def orm_add_all(engine: Engine, rows: list[dict[str, Any]]) -> None:
    # One flush. It must fetch every new id back in order, so on PostgreSQL it batches the
    # INSERTs (insertmanyvalues); on SQLite it still sends one INSERT per object.
    with Session(engine) as session:
        session.add_all([Product(**row) for row in rows])
        session.commit()


# endregion


# region: orm-bulk
def orm_bulk_insert(engine: Engine, rows: list[dict[str, Any]]) -> None:
    # ORM bulk INSERT: a list of dicts, no objects, no identity map; one executemany.
    with Session(engine) as session:
        session.execute(insert(Product), rows)
        session.commit()


# endregion


# region: orm-bulk-returning
def orm_bulk_insert_returning(engine: Engine, rows: list[dict[str, Any]]) -> list[int]:
    # When the new ids are needed: RETURNING, sent as multi-row INSERTs of
    # insertmanyvalues_page_size rows each (1000 by default). sort_by_parameter_order
    # makes ids[i] belong to rows[i]; SQLite cannot promise that for a batch, so there it
    # falls back to one INSERT per row.
    stmt = insert(Product).returning(Product.id, sort_by_parameter_order=True)
    with Session(engine) as session:
        ids = list(session.scalars(stmt, rows))
        session.commit()
    return ids


# endregion


# region: core
def core_executemany(engine: Engine, rows: list[dict[str, Any]]) -> None:
    # Core: the same executemany on a Connection, for code that has no Session.
    with engine.begin() as conn:
        conn.execute(insert(Product.metadata.tables["product"]), rows)


# endregion


# region: copy
def postgresql_copy(engine: Engine, rows: list[dict[str, Any]]) -> None:
    # PostgreSQL COPY through psycopg 3: rows stream in one command, no per-row statement.
    with engine.begin() as conn:
        psycopg_conn = conn.connection.driver_connection
        assert psycopg_conn is not None  # None only once the connection is closed
        with psycopg_conn.cursor() as cursor:
            with cursor.copy("COPY product (sku, name, price) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((row["sku"], row["name"], row["price"]))


# endregion


# region: dbapi
def dbapi_executemany(engine: Engine, rows: list[dict[str, Any]]) -> None:
    # Driver baseline: the DBAPI cursor's own executemany, no SQLAlchemy in the loop.
    # The values are bound; only the placeholder differs by driver (sqlite3 ?, psycopg %s).
    sql = "INSERT INTO product (sku, name, price) VALUES (%s, %s, %s)"
    if engine.dialect.paramstyle == "qmark":
        sql = "INSERT INTO product (sku, name, price) VALUES (?, ?, ?)"
    with engine.begin() as conn:
        cursor = conn.connection.cursor()
        cursor.executemany(sql, [(r["sku"], r["name"], r["price"]) for r in rows])
        cursor.close()


# endregion

VARIANTS: dict[str, Callable[[Engine, list[dict[str, Any]]], object]] = {
    "orm_add_flush_each": orm_add_flush_each,
    "orm_add_all": orm_add_all,
    "orm_bulk_insert": orm_bulk_insert,
    "orm_bulk_insert_returning": orm_bulk_insert_returning,
    "core_executemany": core_executemany,
    "postgresql_copy": postgresql_copy,
    "dbapi_executemany": dbapi_executemany,
}
POSTGRESQL_ONLY = {"postgresql_copy"}


def variants_for(engine: Engine) -> dict[str, Callable[[Engine, list[dict[str, Any]]], object]]:
    backend = engine.dialect.name
    return {
        k: f for k, f in VARIANTS.items() if backend == "postgresql" or k not in POSTGRESQL_ONLY
    }


def main(url: str = "sqlite://", *, n: int = 1000) -> dict[str, int]:
    engine = create_engine(url)
    rows = product_rows(n)
    inserted = {}
    for name, variant in variants_for(engine).items():
        fresh_schema(engine)
        variant(engine, rows)
        inserted[name] = row_count(engine, Product)
        print(f"{name}: {inserted[name]} rows")
    engine.dispose()
    return inserted


if __name__ == "__main__":
    main(*sys.argv[1:2])
