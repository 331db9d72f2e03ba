"""Dropped connections and leaked sessions, seen from PostgreSQL's side.

SQLite has no server: nothing can end a connection under the pool, and there is no
pg_stat_activity to see sessions in, so this program needs PostgreSQL.

Backends: postgresql
Run: python examples/pooling/pool_faults.py postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import sys

from pool_settings import make_engine

# region: imports
from sqlalchemy import Connection, Engine, exc, text
from sqlalchemy.orm import Session

# endregion


def hold_connections(engine: Engine, n: int) -> None:
    """Open n connections at once and return them all, so the pool holds n idle connections."""
    held = [engine.connect() for _ in range(n)]
    for conn in held:
        conn.close()


# region: kill-backends
def kill_backends(admin: Connection, app_name: str) -> int:
    """End every session of one application, as a failover or an idle timeout would."""
    killed: int = admin.scalar(
        text(
            "select count(*) filter (where pg_terminate_backend(pid, 5000)) "
            "from pg_stat_activity where application_name = :app "
            "and datname = current_database() and pid <> pg_backend_pid()"
        ),
        {"app": app_name},
    )
    return killed


# endregion


# region: caller-errors
def caller_errors(engine: Engine, uses: int) -> int:
    """Run `uses` short queries; count the ones the caller saw fail."""
    errors = 0
    for _ in range(uses):
        try:
            with engine.connect() as conn:
                conn.execute(text("select 1"))
        except exc.OperationalError as error:
            # The pool noticed the disconnect: it threw this connection away and every
            # other one opened before it. The next checkout reconnects.
            assert error.connection_invalidated
            errors += 1
    return errors


# endregion


# region: sessions-in-pg-stat-activity
def session_states(admin: Connection, app_name: str) -> list[str]:
    """The state of each session this application has open on the server."""
    return list(
        admin.scalars(
            text(
                "select state from pg_stat_activity where application_name = :app "
                "and datname = current_database() order by state"
            ),
            {"app": app_name},
        )
    )


# endregion


def main(url: str) -> dict[str, int]:
    admin = make_engine(url, app_name="pool-faults-admin", isolation_level="AUTOCOMMIT")
    errors = {}
    with admin.connect() as admin_conn:
        for pre_ping in (False, True):
            app = f"pool-faults-{pre_ping}"
            engine = make_engine(url, app_name=app, pool_pre_ping=pre_ping, pool_size=3)
            hold_connections(engine, 3)
            killed = kill_backends(admin_conn, app)
            errors[f"pool_pre_ping={pre_ping}"] = caller_errors(engine, uses=5)
            print(f"pool_pre_ping={pre_ping}: killed {killed}, caller errors:", errors)
            engine.dispose()
        engine = make_engine(url, app_name="pool-faults-leak")
        leaked = Session(engine)
        leaked.execute(text("select 1"))  # begins a transaction; nobody commits or closes
        print("leaked session:", session_states(admin_conn, "pool-faults-leak"))
        leaked.close()
        engine.dispose()
    admin.dispose()
    return errors


if __name__ == "__main__":
    main(*sys.argv[1:2])
