"""Pools across processes: dispose(close=False) in a forked child, NullPool behind pgbouncer.

Backends: sqlite, postgresql
Run: python examples/pooling/pool_fork.py [DATABASE_URL]
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from pool_events import label_connections

# region: imports
from sqlalchemy import Engine, NullPool, create_engine, make_url, text

# endregion


def opened_by(engine: Engine) -> tuple[int, int]:
    """(pid of the process that opened the connection, its serial) for the next checkout."""
    with engine.connect() as conn:
        conn.execute(text("select 1"))
        return conn.info["opened_by_pid"], conn.info["serial"]


# region: after-fork
def in_forked_child(engine: Engine) -> tuple[int, int]:
    # The child inherited the parent's pool, sockets included. Drop that pool without closing
    # its connections (closing would end the parent's sessions too), then connect afresh.
    engine.dispose(close=False)
    with engine.connect() as conn:
        conn.execute(text("select 1"))
        return os.getpid(), conn.info["opened_by_pid"]


# endregion


T = TypeVar("T")


def run_in_fork(engine: Engine, job: Callable[[Engine], T]) -> T:
    """Run job(engine) in a forked child and return its result to the parent."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=lambda: results.put(job(engine)))
    child.start()
    result: T = results.get(timeout=60)
    child.join(timeout=60)
    assert child.exitcode == 0, child.exitcode
    return result


def dispose_closing(engine: Engine) -> int:
    """The wrong way: a plain dispose() in the child closes the connections it shares."""
    engine.dispose()
    return os.getpid()


# region: pgbouncer
def pgbouncer_engine(url: str) -> Engine:
    # pgbouncer in transaction mode is the pool: hold a server connection only per checkout.
    # NullPool opens a connection at checkout and closes it at checkin, so nothing stays idle
    # here. Also use it in short-lived forked workers that must not share a pool.
    connect_args: dict[str, Any] = {}
    if make_url(url).get_driver_name() == "psycopg":
        # psycopg prepares a statement once it has run 5 times on a connection; the next
        # transaction may land on a server connection that never saw it (pgbouncer < 1.21,
        # or max_prepared_statements = 0). None turns server-side preparing off.
        connect_args["prepare_threshold"] = None
    return create_engine(url, poolclass=NullPool, connect_args=connect_args)


# endregion


def main(url: str = "sqlite:///pool_demo.db") -> None:
    engine = create_engine(url)
    label_connections(engine)
    parent_pid, parent_serial = opened_by(engine)
    child_pid, child_conn_opened_by = run_in_fork(engine, in_forked_child)
    print(f"child {child_pid} used a connection opened by {child_conn_opened_by}")
    print("parent still reuses its pooled connection:", opened_by(engine) == (os.getpid(), 1))
    engine.dispose()
    bouncer = pgbouncer_engine(url)
    label_connections(bouncer)
    serials = [opened_by(bouncer)[1] for _ in range(3)]
    print("NullPool opened a new connection for each checkout:", serials)
    bouncer.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:2])
