"""Session state on pooled connections: a committed SET outlives the request; three ways out.

PostgreSQL only: search_path, SET LOCAL, RESET ALL and schemas per tenant are PostgreSQL's
(SQLite has no session settings to leak). The pool hands the same server session to the next
checkout, and its reset on return is a ROLLBACK: it undoes a SET made in a transaction that
rolled back, not one that committed.

Backends: postgresql
Run: python examples/pooling/pool_state.py [DATABASE_URL]
"""

# lint: ignore-file[NC001]  (naming conventions: see migr_models.py)

from __future__ import annotations

import sys
from typing import Any

# region: imports
from sqlalchemy import Engine, String, create_engine, event, insert, select, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import ConnectionPoolEntry, PoolResetState

# endregion


# region: models
class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "item"  # no schema: each tenant's schema has its own item table

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


# endregion


# region: leak
def items_of_tenant_leaky(engine: Engine, schema: str) -> list[str]:
    # WRONG: set_config(..., false) is a plain SET. Once the transaction commits, the setting
    # stays on the server session, which the pool hands to the next request.
    with Session(engine) as session:
        session.execute(text("select set_config('search_path', :s, false)"), {"s": schema})
        names = list(session.scalars(select(Item.name)))
        session.commit()
        return names


# endregion


# region: set-local
def items_of_tenant(engine: Engine, schema: str) -> list[str]:
    with Session(engine) as session:
        # SET LOCAL (set_config(..., true)): gone when this transaction ends, commit or not.
        session.execute(text("select set_config('search_path', :s, true)"), {"s": schema})
        names = list(session.scalars(select(Item.name)))
        session.commit()
        return names


# endregion


# region: schema-translate
def tenant_session(engine: Engine, schema: str) -> Session:
    # The schema goes into the SQL itself ("FROM tenant_a.item"): nothing is set on the
    # connection, so nothing can leak. The engine copy shares the pool.
    return Session(engine.execution_options(schema_translate_map={None: schema}))


# endregion


# region: reset-event
def reset_session_state(engine: Engine) -> None:
    """Undo every SET when a connection goes back to the pool (psycopg and asyncpg)."""

    @event.listens_for(engine, "reset")
    def reset_settings(
        dbapi_connection: DBAPIConnection,
        connection_record: ConnectionPoolEntry,
        reset_state: PoolResetState,
    ) -> None:
        if reset_state.terminate_only:
            return  # the connection is being closed anyway
        # End the transaction first: a RESET inside it would be undone by the ROLLBACK.
        dbapi_connection.rollback()
        cursor = dbapi_connection.cursor()
        cursor.execute("RESET ALL")  # every setting back to its value at connect
        cursor.close()
        dbapi_connection.commit()


# endregion


def search_path(engine: Engine) -> str:
    with engine.connect() as conn:
        value: str = conn.scalar(text("show search_path"))
        return value


def create_tenants(engine: Engine, items: dict[str, str]) -> None:
    """One schema per tenant, each with an item table holding one row."""
    with engine.begin() as conn:
        for schema, name in items.items():
            conn.execute(text(f'create schema if not exists "{schema}"'))
            tenant = conn.execution_options(schema_translate_map={None: schema})
            Base.metadata.create_all(tenant)
            tenant.execute(insert(Item), {"name": name})


def drop_tenants(engine: Engine, schemas: list[str]) -> None:
    with engine.begin() as conn:
        for schema in schemas:
            conn.execute(text(f'drop schema if exists "{schema}" cascade'))


def main(url: str) -> dict[str, Any]:
    tenants = {"pool_state_a": "a's item", "pool_state_b": "b's item"}
    admin = create_engine(url)
    create_tenants(admin, tenants)
    found: dict[str, Any] = {}
    try:
        leaky = create_engine(url, pool_size=1)  # one pooled connection: every request gets it
        found["leaky"] = [items_of_tenant_leaky(leaky, "pool_state_a"), search_path(leaky)]
        leaky.dispose()
        engine = create_engine(url, pool_size=1)
        found["set local"] = [items_of_tenant(engine, "pool_state_a"), search_path(engine)]
        with tenant_session(engine, "pool_state_b") as session:
            found["schema_translate_map"] = [list(session.scalars(select(Item.name)))]
        found["schema_translate_map"].append(search_path(engine))
        engine.dispose()
        guarded = create_engine(url, pool_size=1)
        reset_session_state(guarded)
        found["reset event"] = [
            items_of_tenant_leaky(guarded, "pool_state_a"),
            search_path(guarded),
        ]
        guarded.dispose()
    finally:
        drop_tenants(admin, list(tenants))
        admin.dispose()
    for way, (items, path) in found.items():
        print(f"{way}: read {items}; the next checkout's search_path: {path}")
    return found


if __name__ == "__main__":
    main(*sys.argv[1:2])
