"""Pool events: label each new connection and log every checkout and checkin.

Backends: sqlite, postgresql
Run: python examples/pooling/pool_events.py [DATABASE_URL]
"""

from __future__ import annotations

import itertools
import logging
import os
import sys
import time
from collections import Counter

# region: imports
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

# endregion


# region: label-connections
def label_connections(engine: Engine) -> None:
    """Give every new DBAPI connection a serial number and the pid of the process that opened it."""
    serial = itertools.count(1)

    @event.listens_for(engine, "connect")
    def on_connect(
        dbapi_connection: DBAPIConnection, connection_record: ConnectionPoolEntry
    ) -> None:
        # connection_record.info lives as long as the DBAPI connection; Connection.info reads it.
        connection_record.info["serial"] = next(serial)
        connection_record.info["opened_by_pid"] = os.getpid()


# endregion


# region: checkout-log
log = logging.getLogger("myapp.pool")


class CheckoutLog:
    """Counts pool events and logs how long each connection was held."""

    def __init__(self, engine: Engine) -> None:
        self.counts: Counter[str] = Counter()
        event.listen(engine, "connect", self.on_connect)
        event.listen(engine, "checkout", self.on_checkout)
        event.listen(engine, "checkin", self.on_checkin)

    def on_connect(
        self, dbapi_connection: DBAPIConnection, connection_record: ConnectionPoolEntry
    ) -> None:
        self.counts["connect"] += 1  # a new DBAPI connection was opened

    def on_checkout(
        self,
        dbapi_connection: DBAPIConnection,
        connection_record: ConnectionPoolEntry,
        connection_proxy: PoolProxiedConnection,
    ) -> None:
        self.counts["checkout"] += 1
        connection_record.info["checked_out_at"] = time.monotonic()

    def on_checkin(
        self, dbapi_connection: DBAPIConnection | None, connection_record: ConnectionPoolEntry
    ) -> None:
        self.counts["checkin"] += 1
        started = connection_record.info.pop("checked_out_at", None)
        if started is not None:
            log.debug("connection held %.3fs", time.monotonic() - started)


# endregion


def main(url: str = "sqlite:///pool_demo.db") -> dict[str, int]:
    logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
    engine = create_engine(url)
    label_connections(engine)
    checkouts = CheckoutLog(engine)
    for _ in range(3):
        with engine.connect() as conn:
            conn.execute(text("select 1"))
            print("connection serial:", conn.info["serial"])
    engine.dispose()
    print("pool events:", dict(checkouts.counts))
    return dict(checkouts.counts)


if __name__ == "__main__":
    main(*sys.argv[1:2])
