"""Backfill a new column outside the migration: one committed transaction per batch.

Between revision 0002 (author.slug added, nullable) and 0003 (slug NOT NULL), a job fills
the column. Each batch commits on its own, so row locks last one batch, a failure keeps the
batches already done, and running the job again goes on with the rest.

Backends: sqlite, postgresql
Run: python examples/migrations/migr_backfill_job.py [DATABASE_URL]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from migr_commands import alembic_config, new_project

# region: job
from migr_models import Author  # app code, unlike a revision, may use the models
from sqlalchemy import Engine, func, select, update


def backfill_slugs_job(engine: Engine, batch_size: int = 1000) -> int:
    """Fill every missing author.slug, each batch in its own transaction; returns the batches."""
    batches, last_id = 0, 0
    while True:
        with engine.begin() as conn:  # commits at the end of the block: one batch at a time
            ids = conn.scalars(
                select(Author.id)
                .where(Author.id > last_id, Author.slug.is_(None))
                .order_by(Author.id)
                .limit(batch_size)
            ).all()
            if not ids:
                return batches
            conn.execute(
                update(Author)
                .where(Author.id.in_(ids), Author.slug.is_(None))  # the app may have set some
                .values(slug=func.lower(func.replace(Author.name, " ", "-")))
            )
        batches, last_id = batches + 1, ids[-1]


# endregion


def main(url: str = "sqlite://") -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        if url == "sqlite://":  # an in-memory database would vanish between connections
            url = f"sqlite:///{Path(tmp) / 'app.db'}"
        config = alembic_config(new_project(Path(tmp) / "project"), url)
        command.upgrade(config, "0002")  # slug exists, nullable
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            rows = [{"name": f"Author {i}"} for i in range(2500)]
            conn.execute(sa.insert(Author), rows)
        batches = backfill_slugs_job(engine)
        command.upgrade(config, "head")  # 0003 finds nothing left to fill, sets NOT NULL
        with engine.connect() as conn:
            missing = conn.scalar(select(func.count()).where(Author.slug.is_(None)))
        command.downgrade(config, "base")
        engine.dispose()
    result: dict[str, object] = {"batches": batches, "missing_slugs": missing}
    print(result)
    return result


if __name__ == "__main__":
    main(*sys.argv[1:2])
