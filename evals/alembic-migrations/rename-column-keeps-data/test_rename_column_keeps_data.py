"""rename-column-keeps-data: customer.phone -> phone_number keeps every value, both ways.

Autogenerate proposes drop_column + add_column for a rename, which runs fine and empties the
column; the grader fills the table first and checks the values after upgrade and downgrade.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _shared.alembic_project import alembic_project
from alembic import command
from sqlalchemy import create_engine, inspect, text

REVISION_0001 = '''"""Create customer."""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("phone", sa.String(30), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("customer")
'''

CUSTOMERS = [("Ada", "+44 20 7946 0001"), ("Grace", None), ("Linus", "+358 9 1234 567")]


@pytest.fixture
def config(db, tmp_path, request, monkeypatch):
    solution = Path(request.config.getoption("--solution")).resolve()
    return alembic_project(
        tmp_path, solution, {"0001_create_customer.py": REVISION_0001},
        "0002_rename_customer_phone.py", "0002", db.url, monkeypatch,
    )  # fmt: skip


def columns(engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("customer")}


def rows(engine, column: str) -> list[tuple[str, str | None]]:
    with engine.connect() as conn:
        result = conn.execute(text(f"select name, {column} from customer order by id"))
        return [tuple(r) for r in result]


def test_rename_keeps_the_phone_numbers_up_and_down(db, config):
    engine = create_engine(db.url)
    try:
        command.upgrade(config, "0001")
        with engine.begin() as conn:
            conn.execute(
                text("insert into customer (name, phone) values (:n, :p)"),
                [{"n": n, "p": p} for n, p in CUSTOMERS],
            )

        command.upgrade(config, "head")
        assert columns(engine) == {"id", "name", "phone_number"}
        assert rows(engine, "phone_number") == CUSTOMERS, "upgrade lost the phone numbers"

        command.downgrade(config, "0001")
        assert columns(engine) == {"id", "name", "phone"}
        assert rows(engine, "phone") == CUSTOMERS, "downgrade lost the phone numbers"

        command.upgrade(config, "head")
        assert rows(engine, "phone_number") == CUSTOMERS
    finally:
        engine.dispose()
