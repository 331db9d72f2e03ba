"""not-null-column-backfill: a NOT NULL column added to a filled table, on SQLite and PostgreSQL.

The revision must run on a table that has rows (a plain NOT NULL add_column fails there), use
batch mode where SQLite cannot ALTER, fill every slug from the name, leave the column NOT NULL
without a default, and downgrade without losing rows.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _shared.alembic_project import alembic_project
from alembic import command
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

REVISION_0001 = '''"""Create product."""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "product",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("product")
'''

PRODUCTS = [("Blue Mug", 900), ("Red Chair Deluxe", 4900), ("Lamp", 2500)]
SLUGS = [("Blue Mug", "blue-mug"), ("Red Chair Deluxe", "red-chair-deluxe"), ("Lamp", "lamp")]


@pytest.fixture
def config(db, tmp_path, request, monkeypatch):
    solution = Path(request.config.getoption("--solution")).resolve()
    return alembic_project(
        tmp_path, solution, {"0001_create_product.py": REVISION_0001},
        "0002_add_product_slug.py", "0002", db.url, monkeypatch,
    )  # fmt: skip


def test_upgrade_fills_slugs_on_a_filled_table_and_downgrade_keeps_rows(db, config):
    engine = create_engine(db.url)
    try:
        command.upgrade(config, "0001")
        with engine.begin() as conn:
            conn.execute(
                text("insert into product (name, price_cents) values (:n, :p)"),
                [{"n": n, "p": p} for n, p in PRODUCTS],
            )

        command.upgrade(config, "head")  # on a table with rows, as in production
        with engine.connect() as conn:
            rows = conn.execute(text("select name, slug from product order by id")).all()
        assert [tuple(r) for r in rows] == SLUGS
        slug = {c["name"]: c for c in inspect(engine).get_columns("product")}["slug"]
        assert slug["nullable"] is False, "slug must end NOT NULL"
        with pytest.raises(IntegrityError), engine.begin() as conn:  # NOT NULL, no default
            conn.execute(text("insert into product (name, price_cents) values ('Pen', 150)"))

        command.downgrade(config, "0001")
        assert {c["name"] for c in inspect(engine).get_columns("product")} == {
            "id", "name", "price_cents",
        }  # fmt: skip
        with engine.connect() as conn:
            names = conn.scalars(text("select name from product order by id")).all()
        assert names == [n for n, _ in PRODUCTS], "downgrade lost rows"

        command.upgrade(config, "head")  # and up again
        with engine.connect() as conn:
            rows = conn.execute(text("select name, slug from product order by id")).all()
        assert [tuple(r) for r in rows] == SLUGS
    finally:
        engine.dispose()
