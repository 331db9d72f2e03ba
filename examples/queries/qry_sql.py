"""Seeing the SQL: engine logging, compiled statements per dialect, slow-statement log, EXPLAIN.

Uses the blog models of examples/core/blog_models.py.

Backends: sqlite, postgresql
Run: PYTHONPATH=examples/core python examples/queries/qry_sql.py [DATABASE_URL]
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from blog_models import Author, Base, Post

# region: imports
from sqlalchemy import Connection, Engine, Select, create_engine, event, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, ExecutionContext
from sqlalchemy.sql import ClauseElement

# endregion


# region: logging
def log_all_sql() -> None:
    # What echo=True does, through your logging config instead of a stdout handler:
    # INFO = statements and parameters, DEBUG = result rows too.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)


# endregion


# region: compile
def render_sql(stmt: ClauseElement, dialect: Dialect) -> str:
    # For reading only: values are inlined by SQLAlchemy, not sent as parameters.
    return str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def show_dialects() -> dict[str, str]:
    stmt = select(Post.title).where(Post.title.ilike("%loading%"), Post.id.in_([1, 2]))
    return {
        "default": str(stmt),  # generic SQL with :title_1 placeholders, values not shown
        # paramstyle="named": no %-doubling (the default psycopg2/psycopg dialects print %%).
        "postgresql": render_sql(stmt, postgresql.dialect(paramstyle="named")),
        "sqlite": render_sql(stmt, sqlite.dialect()),
    }


# endregion


# region: slow-log
slow_sql = logging.getLogger("myapp.slow_sql")


def log_slow_statements(engine: Engine, threshold_seconds: float) -> None:
    """Log every statement that takes threshold_seconds or more (pass AsyncEngine.sync_engine)."""

    @event.listens_for(engine, "before_cursor_execute")
    def _start(
        conn: Connection,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: ExecutionContext | None,
        executemany: bool,
    ) -> None:
        conn.info["sql_started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _stop(
        conn: Connection,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: ExecutionContext | None,
        executemany: bool,
    ) -> None:
        elapsed = time.perf_counter() - conn.info.pop("sql_started")
        if elapsed >= threshold_seconds:
            slow_sql.warning("slow SQL (%.3fs): %s", elapsed, statement)


# endregion


def add_sqlite_sleep(engine: Engine) -> None:
    """Give SQLite a sleep(seconds) SQL function, to have a slow statement to catch."""

    @event.listens_for(engine, "connect")
    def _register(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.create_function("sleep", 1, _sleep)


def _sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def sleep_sql(dialect_name: str, seconds: float) -> str:
    return f"SELECT {'pg_sleep' if dialect_name == 'postgresql' else 'sleep'}({seconds})"


# region: explain
def explain(conn: Connection, stmt: Select[Any], analyze: bool = False) -> list[str]:
    """The plan of stmt: EXPLAIN [ANALYZE] on PostgreSQL, EXPLAIN QUERY PLAN on SQLite."""
    # render_postcompile: an in_() list is otherwise a placeholder filled in at execution,
    # and the database would see `IN (__[POSTCOMPILE_id_1])`.
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    if conn.dialect.name == "postgresql":
        # ANALYZE runs the statement: explain an UPDATE/DELETE inside a rolled-back transaction.
        prefix = "EXPLAIN (ANALYZE) " if analyze else "EXPLAIN "
    elif conn.dialect.name == "sqlite":
        prefix = "EXPLAIN QUERY PLAN "
    else:
        raise NotImplementedError(conn.dialect.name)
    params = compiled.params  # the statement's values, sent as parameters as usual
    if compiled.positiontup is not None:  # qmark/numeric drivers (sqlite3, asyncpg)
        args: Any = tuple(params[name] for name in compiled.positiontup)
    else:
        args = params
    rows = conn.exec_driver_sql(prefix + str(compiled), args)
    return [str(row[-1]) for row in rows]  # SQLite's plan text is the last column


# endregion


def add_authors(conn: Connection, count: int) -> None:
    rows = [{"name": f"author {i}", "email": f"a{i}@example.com"} for i in range(count)]
    conn.execute(insert(Author), rows)
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE author")  # fresh statistics for the planner


def main(url: str = "sqlite://") -> dict[str, Any]:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        add_sqlite_sleep(engine)  # before the first connection is made
    Base.metadata.create_all(engine)
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    log_slow_statements(engine, threshold_seconds=0.1)
    with engine.begin() as conn:
        add_authors(conn, 2000)
    with engine.connect() as conn:
        conn.exec_driver_sql(sleep_sql(engine.dialect.name, 0.15))  # logged as slow
        # region: explain-usage
        by_name = explain(conn, select(Author).where(Author.name == "author 7"))  # unique index
        by_email = explain(conn, select(Author).where(Author.email == "a7@example.com"))
        # endregion
    engine.dispose()
    result = {"dialects": show_dialects(), "by_name": by_name, "by_email": by_email}
    for key, value in result.items():
        print(f"{key}: {value}")
    return result


if __name__ == "__main__":
    main(*sys.argv[1:2])
