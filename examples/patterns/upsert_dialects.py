"""Upserts (insert, or update on a key conflict) with each dialect's own construct.

Each construct is dialect-specific: ``postgresql.insert`` and ``sqlite.insert`` compile
ON CONFLICT, ``mysql.insert`` compiles ON DUPLICATE KEY UPDATE (MySQL and MariaDB), and
none of them compiles on another database. ``upsert()`` picks one by ``dialect.name``.

Backends: sqlite, postgresql, mariadb
Run: python examples/patterns/upsert_dialects.py [DATABASE_URL]
"""

# lint: ignore-file[NC001]  (naming conventions: see migr_models.py)

from __future__ import annotations

import sys

# region: imports
from collections.abc import Callable, Sequence
from typing import Any, Literal

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, create_engine, select
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, Session

# endregion

# region: table
metadata = MetaData()

product = Table(
    "product",
    metadata,
    Column("sku", String(32), primary_key=True),  # the conflict key: a PK or UNIQUE column
    Column("name", String(100), nullable=False),
    Column("price", Integer, nullable=False),
)
# endregion


# region: postgresql
def upsert_postgresql(conn: Connection, rows: list[dict[str, Any]]) -> None:
    stmt = postgresql.insert(product).values(rows)
    # stmt.excluded is the row that failed to insert: copy its values over the existing row.
    stmt = stmt.on_conflict_do_update(
        index_elements=[product.c.sku],
        set_={"name": stmt.excluded.name, "price": stmt.excluded.price},
    )
    conn.execute(stmt)


def insert_missing_postgresql(conn: Connection, rows: list[dict[str, Any]]) -> None:
    # Existing keys keep their row untouched; only new keys are inserted.
    stmt = postgresql.insert(product).values(rows)
    conn.execute(stmt.on_conflict_do_nothing(index_elements=[product.c.sku]))


# endregion


# region: sqlite
def upsert_sqlite(conn: Connection, rows: list[dict[str, Any]]) -> None:
    # Same API as PostgreSQL (SQLite 3.24+), but imported from the sqlite dialect.
    stmt = sqlite.insert(product).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=[product.c.sku],
        set_={"name": stmt.excluded.name, "price": stmt.excluded.price},
    )
    conn.execute(stmt)


def insert_missing_sqlite(conn: Connection, rows: list[dict[str, Any]]) -> None:
    stmt = sqlite.insert(product).values(rows)
    conn.execute(stmt.on_conflict_do_nothing(index_elements=[product.c.sku]))


# endregion


# region: mysql
def upsert_mysql(conn: Connection, rows: list[dict[str, Any]]) -> None:
    # MySQL / MariaDB: no conflict target; ANY primary key or unique index clash triggers it.
    stmt = mysql.insert(product).values(rows)
    # stmt.inserted is the row that failed to insert (VALUES(col) in the SQL).
    stmt = stmt.on_duplicate_key_update(name=stmt.inserted.name, price=stmt.inserted.price)
    conn.execute(stmt)


def insert_missing_mysql(conn: Connection, rows: list[dict[str, Any]]) -> None:
    # No DO NOTHING here: set the key to itself, a no-op. (INSERT IGNORE would also
    # turn other errors, such as a too-long string, into warnings.)
    stmt = mysql.insert(product).values(rows)
    conn.execute(stmt.on_duplicate_key_update(sku=product.c.sku))


# endregion


# region: helper
INSERTS: dict[str, Callable[[Table], postgresql.Insert | sqlite.Insert | mysql.Insert]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
    "mysql": mysql.insert,
    "mariadb": mysql.insert,
}


def last_row_per_key(rows: Sequence[dict[str, Any]], key: Sequence[str]) -> list[dict[str, Any]]:
    """One row per key value, the last one given. PostgreSQL refuses a key twice in one
    statement; SQLite and MariaDB would apply both rows in turn."""
    return list({tuple(row[name] for name in key): row for row in rows}.values())


def upsert(
    bind: Session | Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    key: Sequence[str],
    on_conflict: Literal["update", "nothing"] = "update",
) -> None:
    """Insert rows; on a clash of ``key`` update the other columns, or leave the row alone.

    One INSERT statement with one VALUES tuple per key; a key given twice keeps its last row.
    """
    rows = last_row_per_key(rows, key)
    if not rows:
        return
    dialect = bind.get_bind().dialect if isinstance(bind, Session) else bind.dialect
    stmt = INSERTS[dialect.name](table).values(list(rows))
    others = [name for name in rows[0] if name not in key]
    if isinstance(stmt, mysql.Insert):  # MySQL and MariaDB
        if on_conflict == "nothing" or not others:
            changes: dict[str, Any] = {key[0]: table.c[key[0]]}  # key = key: a no-op update
        else:
            changes = {name: stmt.inserted[name] for name in others}
        stmt = stmt.on_duplicate_key_update(changes)
    elif on_conflict == "nothing" or not others:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(key))
    else:
        changes = {name: stmt.excluded[name] for name in others}
        stmt = stmt.on_conflict_do_update(index_elements=list(key), set_=changes)
    bind.execute(stmt)


# endregion


# region: chunks
# Bound parameters one statement may carry, by driver: asyncpg stops at 32,767 ("the number
# of query arguments cannot exceed 32767"), psycopg at 65,535. 32,766 is SQLite's default
# (3.32+) and a safe guess for other drivers.
MAX_BIND_PARAMS = {"asyncpg": 32_767, "psycopg": 65_535, "psycopg2": 65_535}


def rows_per_statement(dialect: Dialect, columns: int) -> int:
    return MAX_BIND_PARAMS.get(dialect.driver, 32_766) // columns


def upsert_in_chunks(
    bind: Session | Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    key: Sequence[str],
    on_conflict: Literal["update", "nothing"] = "update",
) -> None:
    """upsert() in as few statements as the driver allows. Call it inside one transaction."""
    rows = last_row_per_key(rows, key)  # before splitting: a key's rows may fall in two chunks
    if not rows:
        return
    dialect = bind.get_bind().dialect if isinstance(bind, Session) else bind.dialect
    size = rows_per_statement(dialect, len(rows[0]))
    for start in range(0, len(rows), size):
        upsert(bind, table, rows[start : start + size], key, on_conflict)


# endregion


# region: orm-returning
class Base(DeclarativeBase):
    pass


class Product(Base):
    __table__ = product  # the same table, mapped for the ORM

    sku: Mapped[str]
    name: Mapped[str]
    price: Mapped[int]


def upsert_objects(
    session: Session, rows: list[dict[str, Any]], populate_existing: bool = True
) -> list[Product]:
    """Upsert and get the ORM objects back (PostgreSQL and SQLite: RETURNING)."""
    dialect = session.get_bind().dialect.name
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Product)
    stmt = stmt.values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Product.sku],
        set_={"name": stmt.excluded.name, "price": stmt.excluded.price},
    )
    # populate_existing: objects already in the session take the returned values; without
    # it they keep the ones they were loaded with.
    returning = stmt.returning(Product).execution_options(populate_existing=populate_existing)
    return list(session.scalars(returning))


# endregion


def all_products(conn: Connection | Session) -> list[tuple[str, str, int]]:
    return [tuple(row) for row in conn.execute(select(product).order_by(product.c.sku))]


def main(url: str = "sqlite://") -> list[tuple[str, str, int]]:
    engine = create_engine(url)
    metadata.create_all(engine)
    with engine.begin() as conn:
        upsert(conn, product, [{"sku": "A1", "name": "mug", "price": 8}], key=["sku"])
        upsert(conn, product, [{"sku": "A1", "name": "mug", "price": 9}], key=["sku"])
    # An ORM Session works too: the helper reads the dialect from its bind.
    with Session(engine) as session:
        new_and_old = [
            {"sku": "A1", "name": "big mug", "price": 12},
            {"sku": "B2", "name": "plate", "price": 15},
        ]
        upsert(session, product, new_and_old, key=["sku"])
        upsert(session, product, [{"sku": "B2", "name": "?", "price": 0}], ["sku"], "nothing")
        session.commit()
        rows = all_products(session)
    engine.dispose()
    for row in rows:
        print(row)
    return rows


if __name__ == "__main__":
    main(*sys.argv[1:2])
