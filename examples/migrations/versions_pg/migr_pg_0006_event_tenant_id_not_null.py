"""event.tenant_id NOT NULL on a big table, step 2: validate, SET NOT NULL, drop the CHECK."""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "pg0006"
down_revision: str | Sequence[str] | None = "pg0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# region: validate-set-not-null
def upgrade() -> None:
    with op.get_context().autocommit_block():
        # Scans the table under SHARE UPDATE EXCLUSIVE: reads and writes go on. Committed at
        # once, so a lock timeout below does not undo the scan (a second VALIDATE is a no-op).
        op.execute("ALTER TABLE event VALIDATE CONSTRAINT ck_event_tenant_id_not_null")
    # PostgreSQL 12+: the valid CHECK proves there is no NULL, so SET NOT NULL skips its scan.
    op.alter_column("event", "tenant_id", existing_type=sa.Integer(), nullable=False)
    op.drop_constraint(op.f("ck_event_tenant_id_not_null"), "event", type_="check")


def downgrade() -> None:
    op.alter_column("event", "tenant_id", existing_type=sa.Integer(), nullable=True)
    op.create_check_constraint(
        op.f("ck_event_tenant_id_not_null"),
        "event",
        "tenant_id IS NOT NULL",
        postgresql_not_valid=True,
    )


# endregion
