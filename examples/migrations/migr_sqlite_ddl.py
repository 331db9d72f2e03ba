"""SQLite: make DDL roll back with its revision (pysqlite, aiosqlite); PostgreSQL does already.

Python's sqlite3 (and aiosqlite, built on it) in its default "legacy" transaction control sends
BEGIN only before INSERT/UPDATE/DELETE, so each CREATE/ALTER/DROP before a revision's first
row change commits on its own: a revision that fails halfway leaves its tables behind while
alembic_version still names the revision before it, and re-running it fails with "table ...
already exists". The recipe from SQLAlchemy's SQLite docs makes SQLAlchemy send BEGIN itself.

Backends: sqlite, postgresql
Run: python examples/migrations/migr_sqlite_ddl.py [DATABASE_URL]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from migr_commands import alembic_config, current_revision, new_project, upgrade_on
from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.pool import ConnectionPoolEntry


# region: transactional-ddl
def transactional_ddl(engine: Engine) -> Engine:
    """On SQLite, SQLAlchemy sends BEGIN itself, so DDL rolls back with its transaction.

    The same function as in the rendered env.py, for engines you lend a connection from.
    Call it before the engine's first connection; for an AsyncEngine pass engine.sync_engine.
    """
    if engine.dialect.name != "sqlite":
        return engine  # PostgreSQL's DDL is transactional already

    @event.listens_for(engine, "connect")
    def no_driver_begin(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None  # sqlite3 / aiosqlite: never BEGIN or COMMIT

    @event.listens_for(engine, "begin")
    def begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")  # on every begin(), before any statement

    return engine


# endregion


def failed_upgrade(url: str, *, fix: bool) -> dict[str, object]:
    """upgrade head through h0002, which fails after CREATE TABLE second: what is left?"""
    with tempfile.TemporaryDirectory() as tmp:
        config = alembic_config(new_project(Path(tmp) / "p", versions="versions_halfway"), url)
        engine = create_engine(url)
        if fix:
            transactional_ddl(engine)
        try:
            upgrade_on(engine, config)
        except RuntimeError:
            pass  # h0002 always fails
        tables = sorted(inspect(engine).get_table_names())
        left: dict[str, object] = {"revision": current_revision(config), "tables": tables}
        with engine.begin() as conn:  # clean up for the next run on the same database
            for table in ("second", "first", "alembic_version"):
                conn.exec_driver_sql(f"drop table if exists {table}")  # fixed names only
        engine.dispose()
    return left


def main(url: str = "sqlite://") -> dict[str, dict[str, object]]:
    result: dict[str, dict[str, object]] = {}
    for fix in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            run_url = f"sqlite:///{Path(tmp) / 'app.db'}" if url == "sqlite://" else url
            result["transactional_ddl" if fix else "default"] = failed_upgrade(run_url, fix=fix)
    for key, value in result.items():
        print(f"{key}: {value}")
    return result


if __name__ == "__main__":
    main(*sys.argv[1:2])
