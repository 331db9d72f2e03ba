"""PostgreSQL data and index work on a live table: who CONCURRENTLY waits for, identity ids.

PostgreSQL only: SQLite builds no index concurrently and has no identity column or sequence
(an INTEGER PRIMARY KEY takes max(id) + 1, so explicit ids never collide there).
Backends: postgresql
Run: python examples/migrations/migr_pg_live.py postgresql+psycopg://...
"""

from __future__ import annotations

import sys
from typing import Any

# region: imports
from sqlalchemy import (
    Column,
    Connection,
    Identity,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    create_engine,
    text,
)

# endregion

# region: open-snapshots
# Sessions CREATE INDEX CONCURRENTLY on :table would wait for: those holding a snapshot (a
# running query, a REPEATABLE READ or SERIALIZABLE transaction, pg_dump) and open
# transactions that wrote to the table. It waits for every one of them to end.
IN_THE_WAY = text("""
    select pid, state, now() - xact_start as open_for, left(query, 60) as last_query
    from pg_stat_activity
    where datname = current_database() and pid <> pg_backend_pid()
      and backend_type = 'client backend'
      and (backend_xmin is not null or pid in (
          select pid from pg_locks
          where relation = to_regclass(:table) and mode <> 'AccessShareLock'))
    order by xact_start
""")


def sessions_in_the_way(connection: Connection, table: str) -> list[Row[Any]]:
    """Run before a CONCURRENTLY build: end (or wait out) what this lists."""
    return list(connection.execute(IN_THE_WAY, {"table": table}))


# endregion


# region: identity
metadata = MetaData(naming_convention={"pk": "pk_%(table_name)s"})  # the one name used here
account = Table(
    "account",
    metadata,
    Column("id", Integer, Identity(always=True), primary_key=True),  # GENERATED ALWAYS
    Column("email", String(200), nullable=False),
)


def load_with_ids(connection: Connection, rows: list[dict[str, object]]) -> None:
    """Insert rows that keep their ids (copied from another table or database)."""
    # GENERATED ALWAYS refuses an explicit id unless the INSERT says OVERRIDING SYSTEM VALUE.
    connection.execute(
        text("insert into account (id, email) overriding system value values (:id, :email)"),
        rows,
    )


def move_identity_past_max(connection: Connection) -> None:
    """The identity's sequence did not move: without this the next insert reuses id 1."""
    connection.execute(
        text("select setval(pg_get_serial_sequence('account', 'id'), max(id)) from account")
    )


# endregion


def main(url: str) -> dict[str, object]:
    engine = create_engine(url)
    metadata.create_all(engine)
    with engine.begin() as conn:
        load_with_ids(conn, [{"id": 41, "email": "ada@example.com"}])
        move_identity_past_max(conn)
        next_id = conn.execute(
            account.insert().values(email="grace@example.com").returning(account.c.id)
        ).scalar_one()
    with engine.connect() as conn:
        in_the_way = sessions_in_the_way(conn, "account")
    metadata.drop_all(engine)
    engine.dispose()
    result: dict[str, object] = {"next_id": next_id, "sessions_in_the_way": len(in_the_way)}
    print(result)
    return result


if __name__ == "__main__":
    main(*sys.argv[1:2])
