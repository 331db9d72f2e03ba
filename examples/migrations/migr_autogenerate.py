"""What autogenerate sees, and what it misses: renames, server defaults, enum values.

Backends: sqlite, postgresql
Run: python examples/migrations/migr_autogenerate.py [DATABASE_URL]
"""

# lint: ignore-file[NC001]  (naming conventions: see migr_models.py)

from __future__ import annotations

import sys
from typing import Any

# region: imports
from alembic.autogenerate import compare_metadata, produce_migrations, render_python_code
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    Column,
    Connection,
    Enum,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    text,
)

# endregion


# region: model-change
def ticket_metadata(*, statuses: tuple[str, ...], priority_default: str, person: str) -> MetaData:
    metadata = MetaData()
    Table(
        "ticket",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("status", Enum(*statuses, name="ticket_status"), nullable=False),
        Column("priority", Integer, server_default=text(priority_default)),
        Column(person, String(50)),
    )
    return metadata


SHIPPED = ticket_metadata(statuses=("open", "closed"), priority_default="1", person="owner")
# Three edits to the model: one enum value more, another server default, a renamed column.
EDITED = ticket_metadata(
    statuses=("open", "closed", "paused"), priority_default="2", person="assignee"
)
# endregion


# region: compare
def schema_changes(
    connection: Connection, metadata: MetaData, **options: Any
) -> list[tuple[Any, ...]]:
    """(operation, table, column) for each difference autogenerate finds."""
    context = MigrationContext.configure(connection, opts=options)
    found: list[tuple[Any, ...]] = []
    for diff in compare_metadata(context, metadata):
        # Column-level changes come as a list of tuples, one per changed attribute.
        for change in diff if isinstance(diff, list) else [diff]:
            if change[0] in ("add_column", "remove_column"):
                found.append((change[0], change[2], change[3].name))
            elif change[0].startswith("modify_"):
                found.append((change[0], change[2], change[3]))
            else:
                found.append((change[0], getattr(change[1], "name", None), None))
    return sorted(found)


def proposed_upgrade(connection: Connection, metadata: MetaData) -> str:
    """The upgrade() body `alembic revision --autogenerate` would write."""
    context = MigrationContext.configure(connection, opts={"compare_server_default": True})
    upgrade_ops = produce_migrations(context, metadata).upgrade_ops
    assert upgrade_ops is not None  # produce_migrations() always fills it in
    return render_python_code(upgrade_ops)


# endregion


def main(url: str = "sqlite://") -> dict[str, object]:
    engine = create_engine(url)
    SHIPPED.create_all(engine)
    with engine.connect() as conn:
        result: dict[str, object] = {
            "default options": schema_changes(conn, EDITED),
            "compare_server_default=True": schema_changes(
                conn, EDITED, compare_server_default=True
            ),
            "proposed upgrade": proposed_upgrade(conn, EDITED),
        }
    SHIPPED.drop_all(engine)
    engine.dispose()
    for key, value in result.items():
        print(f"{key}: {value}")
    return result


if __name__ == "__main__":
    main(*sys.argv[1:2])
