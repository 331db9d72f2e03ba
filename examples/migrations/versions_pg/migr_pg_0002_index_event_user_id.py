"""Index event.user_id without locking out writes: CREATE INDEX CONCURRENTLY."""

from collections.abc import Sequence

from alembic import op

revision: str = "pg0002"
down_revision: str | Sequence[str] | None = "pg0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# region: concurrently
def upgrade() -> None:
    # A plain CREATE INDEX blocks every INSERT/UPDATE/DELETE on the table until it is built.
    # CONCURRENTLY does not, but PostgreSQL refuses to run it inside a transaction block,
    # so commit the migration's transaction and run these statements in autocommit.
    with op.get_context().autocommit_block():
        # A build that failed (lock_timeout, a duplicate in a unique index) leaves an INVALID
        # index behind: drop it first, so running the upgrade again just works.
        op.drop_index(
            op.f("ix_event_user_id"), "event", postgresql_concurrently=True, if_exists=True
        )
        op.create_index(
            op.f("ix_event_user_id"), "event", ["user_id"], postgresql_concurrently=True
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(op.f("ix_event_user_id"), table_name="event", postgresql_concurrently=True)


# endregion
