"""Add a value to the event_kind enum: autogenerate never notices enum value changes."""

from collections.abc import Sequence

from alembic import op

revision: str = "pg0003"
down_revision: str | Sequence[str] | None = "pg0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# region: enum-value
def upgrade() -> None:
    # A value added inside a transaction cannot be used until that transaction commits.
    with op.get_context().autocommit_block():
        op.execute("ALTER TYPE event_kind ADD VALUE IF NOT EXISTS 'logout'")


def downgrade() -> None:
    # PostgreSQL cannot drop an enum value; rows may use it. Leave it in place.
    pass


# endregion
