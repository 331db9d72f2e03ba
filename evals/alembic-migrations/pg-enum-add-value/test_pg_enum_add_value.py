"""pg-enum-add-value: add a value to a PostgreSQL enum type and move rows to it in one revision.

Inside one transaction PostgreSQL refuses to use an enum value added there ("unsafe use of new
value"); the revision must commit the new value before the UPDATE, and survive
upgrade -> downgrade -> upgrade (the value stays in the type after the downgrade).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from _shared.alembic_project import alembic_project
from alembic import command
from sqlalchemy import create_engine, text

REVISION_0001 = '''"""Create ticket."""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ticket_status = sa.Enum("open", "closed", name="ticket_status")


def upgrade() -> None:
    op.create_table(
        "ticket",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("status", ticket_status, nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("ticket")
    ticket_status.drop(op.get_bind())
'''

TICKETS = [
    ("printer jam", "closed", datetime(2022, 3, 1)),
    ("vpn down", "closed", datetime(2023, 12, 31, 23, 0)),
    ("new laptop", "closed", datetime(2024, 1, 1, 0, 0)),
    ("password reset", "closed", datetime(2024, 6, 1)),
    ("slow wifi", "open", None),
]
UPGRADED = ["archived", "archived", "closed", "closed", "open"]
ORIGINAL = [status for _, status, _ in TICKETS]


@pytest.fixture
def config(db, tmp_path, request, monkeypatch):
    solution = Path(request.config.getoption("--solution")).resolve()
    return alembic_project(
        tmp_path, solution, {"0001_create_ticket.py": REVISION_0001},
        "0002_archive_old_tickets.py", "0002", db.url, monkeypatch,
    )  # fmt: skip


def statuses(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(text("select status::text from ticket order by id")))


@pytest.mark.backends("postgresql")
def test_new_value_added_rows_moved_and_round_trip_works(db, config):
    engine = create_engine(db.url)
    try:
        command.upgrade(config, "0001")
        with engine.begin() as conn:
            conn.execute(
                text("insert into ticket (title, status, closed_at) values (:t, :s, :c)"),
                [{"t": t, "s": s, "c": c} for t, s, c in TICKETS],
            )

        command.upgrade(config, "head")
        with engine.connect() as conn:
            labels = conn.scalars(
                text("select unnest(enum_range(null::ticket_status))::text")
            ).all()
        assert "archived" in labels and {"open", "closed"} <= set(labels)
        assert statuses(engine) == UPGRADED, "closed before 2024 must be archived, no others"

        command.downgrade(config, "0001")
        assert statuses(engine) == ORIGINAL, "downgrade must put archived tickets back to closed"

        command.upgrade(config, "head")  # again: the value is still in the type
        assert statuses(engine) == UPGRADED
    finally:
        engine.dispose()
