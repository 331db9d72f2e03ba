"""event.tenant_id NOT NULL on a big table, step 1: a CHECK that new rows must pass."""

from collections.abc import Sequence

from alembic import op

revision: str = "pg0005"
down_revision: str | Sequence[str] | None = "pg0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# region: check-not-valid
def upgrade() -> None:
    # NOT VALID: checks new and updated rows only, so adding it skips the scan and holds its
    # ACCESS EXCLUSIVE lock for an instant. Its own revision: the lock ends with the commit.
    op.create_check_constraint(
        op.f("ck_event_tenant_id_not_null"),
        "event",
        "tenant_id IS NOT NULL",
        postgresql_not_valid=True,
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_event_tenant_id_not_null"), "event", type_="check")


# endregion
