"""Per-connection limits: statement_timeout for every statement, TCP keepalives for dead servers.

PostgreSQL only: statement_timeout is a server setting, and the keepalive options are libpq's
(psycopg, psycopg2); asyncpg takes server settings and a client-side command_timeout instead.

Backends: postgresql
Run: python examples/pooling/pool_timeouts.py [DATABASE_URL]
"""

from __future__ import annotations

import sys
from typing import Any

# region: imports
from sqlalchemy import create_engine, exc, make_url, text

# endregion


# region: statement-timeout
def statement_timeout_args(url: str, timeout_ms: int) -> dict[str, Any]:
    """connect_args that cancel any statement running longer than timeout_ms (SQLSTATE 57014)."""
    if make_url(url).get_driver_name() == "asyncpg":
        return {
            "server_settings": {"statement_timeout": str(timeout_ms)},
            # Client side, a backstop for a server that stops answering: a plain TimeoutError
            # (not a DBAPIError) after this many seconds, and the connection is discarded.
            "command_timeout": timeout_ms / 1000 + 5,
        }
    return {"options": f"-c statement_timeout={timeout_ms}"}  # libpq: psycopg, psycopg2


# endregion


# region: keepalives
TCP_KEEPALIVES = {  # libpq connect_args (psycopg, psycopg2)
    "keepalives": 1,
    "keepalives_idle": 30,  # seconds idle before the first probe (Linux default: 2 hours)
    "keepalives_interval": 10,  # seconds between probes
    "keepalives_count": 3,  # unanswered probes before the connection counts as dead
    "tcp_user_timeout": 30_000,  # ms sent data (a query, a pre-ping) may go unacknowledged
}


# endregion


def main(url: str) -> str:
    connect_args = {**statement_timeout_args(url, 200), **TCP_KEEPALIVES}
    engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    with engine.connect() as conn:
        setting: str = conn.scalar(text("show statement_timeout"))
        try:
            conn.execute(text("select pg_sleep(2)"))
            outcome = "finished"
        except exc.OperationalError as error:
            outcome = f"cancelled: {str(error.orig).splitlines()[0]}"
    engine.dispose()
    print(f"statement_timeout={setting}; a 2 s statement: {outcome}")
    return outcome


if __name__ == "__main__":
    main(*sys.argv[1:2])
