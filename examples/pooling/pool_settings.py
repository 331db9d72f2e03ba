"""QueuePool settings, sizing a pool against max_connections, and pool status for health checks.

Backends: sqlite, postgresql
Run: python examples/pooling/pool_settings.py [DATABASE_URL]
"""

from __future__ import annotations

import sys
from typing import Any

# region: imports
from sqlalchemy import Connection, Engine, QueuePool, create_engine, exc, make_url, text

# endregion


# region: queue-pool
POOL_SETTINGS = {
    "pool_size": 5,  # connections kept open between requests (QueuePool default: 5)
    "max_overflow": 10,  # extra connections under load, closed when returned (default: 10)
    "pool_timeout": 30,  # seconds a checkout waits when all are in use, then TimeoutError
    "pool_recycle": 1800,  # at checkout, replace a connection older than 30 min
    "pool_pre_ping": True,  # test each connection at checkout; reconnect if it died
    "pool_use_lifo": True,  # reuse the newest idle connection; spares stay idle
}


def make_engine(url: str, app_name: str = "myapp", **overrides: Any) -> Engine:
    # application_name labels this app's sessions in PostgreSQL's pg_stat_activity.
    is_postgresql = make_url(url).get_backend_name() == "postgresql"
    connect_args = {"application_name": app_name} if is_postgresql else {}
    return create_engine(url, connect_args=connect_args, **{**POOL_SETTINGS, **overrides})


# endregion


# region: application-name
def name_connections(url: str, app_name: str) -> dict[str, Any]:
    """connect_args that label this app's sessions in PostgreSQL's pg_stat_activity."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return {}
    if parsed.get_driver_name() == "asyncpg":
        # asyncpg has no application_name argument ("connect() got an unexpected keyword
        # argument 'application_name'"): it sends server settings at connect instead.
        return {"server_settings": {"application_name": app_name}}
    return {"application_name": app_name}  # psycopg, psycopg2: a libpq connection parameter


# endregion


# region: sizing
def peak_connections(processes: int, pool_size: int, max_overflow: int) -> int:
    """The most connections a deployment can open: every pool full, every overflow in use."""
    return processes * (pool_size + max_overflow)


def size_pool(
    processes: int, threads: int, max_connections: int, reserve: int = 10
) -> tuple[int, int]:
    """(pool_size, max_overflow) for `processes` workers running `threads` threads each.

    A sync thread holds at most one connection at a time, so pool_size = threads. `reserve`
    keeps slots free for superusers, migrations, cron jobs and psql sessions.
    """
    per_process = (max_connections - reserve) // processes
    if per_process < threads:
        raise ValueError(
            f"{processes} x {threads} threads need {processes * threads} connections; only "
            f"{max_connections - reserve} are free: use fewer workers or pgbouncer"
        )
    return threads, min(threads, per_process - threads)


def server_budget(conn: Connection) -> int:
    """Connections ordinary roles may open on this PostgreSQL server."""
    max_connections = int(conn.scalar(text("show max_connections")))
    reserved = int(conn.scalar(text("show superuser_reserved_connections")))
    return max_connections - reserved


# endregion


# region: exhausted
def answer_or_busy(engine: Engine) -> str:
    # Every connection in use for pool_timeout seconds: "QueuePool limit of size 5 overflow 10
    # reached". Tell the client to retry (HTTP 503) instead of queueing more work.
    try:
        with engine.connect() as conn:
            answer: str = conn.scalar(text("select 'ok'"))
            return answer
    except exc.TimeoutError:
        return "busy"


# endregion


# region: health
def pool_status(engine: Engine) -> dict[str, int | str]:
    """What a /health endpoint reports about a QueuePool."""
    pool = engine.pool
    assert isinstance(pool, QueuePool)  # size() and overflow() are QueuePool's
    return {
        "pool_size": pool.size(),  # configured pool_size
        "checked_out": pool.checkedout(),  # connections in use right now
        "checked_in": pool.checkedin(),  # open and idle in the pool
        "overflow": max(pool.overflow(), 0),  # open connections beyond pool_size
        "status": pool.status(),  # one line for the log
    }


# endregion


def main(url: str = "sqlite:///pool_demo.db") -> dict[str, int | str]:
    engine = make_engine(url)
    with engine.connect() as conn:
        conn.execute(text("select 1"))
        print("while a connection is checked out:", pool_status(engine))
    pool_size, max_overflow = size_pool(processes=4, threads=8, max_connections=100)
    peak = peak_connections(4, pool_size, max_overflow)
    print(f"4 workers x 8 threads: pool_size={pool_size} max_overflow={max_overflow} peak={peak}")
    status = pool_status(engine)
    print("after it was returned:", status)
    engine.dispose()
    return status


if __name__ == "__main__":
    main(*sys.argv[1:2])
