"""Rename customer.phone to customer.phone_number."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A rename, not drop + add: the numbers stay.
    op.alter_column(
        "customer", "phone", new_column_name="phone_number", existing_type=sa.String(30)
    )


def downgrade() -> None:
    op.alter_column(
        "customer", "phone_number", new_column_name="phone", existing_type=sa.String(30)
    )
