"""A test to copy into your suite: the migrations build exactly the schema the models describe.

Backends: sqlite, postgresql
Run: python examples/migrations/migr_drift.py [DATABASE_URL]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

# region: drift-test
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from migr_models import Base  # your models' declarative base
from sqlalchemy import MetaData, create_engine


def pending_changes(config: Config, metadata: MetaData) -> list[Any]:
    """Upgrade the (empty) database to head, then list what still differs from the models."""
    command.upgrade(config, "head")
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None, "alembic.ini sets no sqlalchemy.url"
    engine = create_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_server_default": True})
        changes: list[Any] = compare_metadata(context, metadata)
    engine.dispose()
    return changes


def test_migrations_match_the_models(alembic_config: Config) -> None:
    # alembic_config: your fixture returning Config("alembic.ini") aimed at an empty test
    # database. A model changed without a revision fails here, naming the difference.
    assert pending_changes(alembic_config, Base.metadata) == []


# endregion


def main(url: str = "sqlite://") -> list[Any]:
    from migr_commands import alembic_config, new_project  # this project's helpers

    with tempfile.TemporaryDirectory() as tmp:
        if url == "sqlite://":  # an in-memory database would vanish between connections
            url = f"sqlite:///{Path(tmp) / 'app.db'}"
        config = alembic_config(new_project(Path(tmp) / "project"), url)
        changes = pending_changes(config, Base.metadata)
    print(f"differences between migrations and models: {changes}")
    return changes


if __name__ == "__main__":
    main(*sys.argv[1:2])
