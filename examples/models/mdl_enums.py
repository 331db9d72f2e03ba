"""Python Enum columns: stored by member NAME unless values_callable says values; and the
PostgreSQL enum type's life cycle in Alembic migrations (create, add_column, drop).

Backends: sqlite, postgresql
(the migration steps are PostgreSQL only: SQLite has no enum types, Enum is a VARCHAR there.)
Run: python examples/models/mdl_enums.py [DATABASE_URL]
"""
# lint: ignore-file[NC001]  (naming conventions: see migr_models.py)

from __future__ import annotations

# region: imports
import enum
import sys
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Enum, create_engine, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

# endregion


# region: enum-columns
class Base(DeclarativeBase):
    pass


class Status(enum.Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Account(Base):
    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stores the NAMES: 'ACTIVE', 'SUSPENDED' (PostgreSQL: CREATE TYPE account_status AS
    # ENUM ('ACTIVE', 'SUSPENDED'); SQLite: VARCHAR, no CHECK).
    status: Mapped[Status] = mapped_column(Enum(Status, name="account_status"))


class Member(Base):
    __tablename__ = "member"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stores the VALUES: 'active', 'suspended', what raw SQL and other services expect.
    status: Mapped[Status] = mapped_column(
        Enum(Status, name="member_status", values_callable=lambda e: [m.value for m in e])
    )


# endregion


def stored_labels(session: Session) -> dict[str, str]:
    session.add_all([Account(status=Status.ACTIVE), Member(status=Status.ACTIVE)])
    session.flush()
    return {
        "account": session.scalar(text("SELECT CAST(status AS VARCHAR(20)) FROM account")),
        "member": session.scalar(text("SELECT CAST(status AS VARCHAR(20)) FROM member")),
    }


# region: create-table
def upgrade_create_table() -> None:
    # create_table emits CREATE TYPE plan, then CREATE TABLE. If the type is already there
    # (left by a downgrade that did not drop it): 'type "plan" already exists'.
    op.create_table(
        "subscription",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("plan", sa.Enum("free", "pro", name="plan"), nullable=False),
    )


def downgrade_drop_table() -> None:
    op.drop_table("subscription")
    # drop_table leaves the type behind; the next upgrade's CREATE TYPE would then fail.
    sa.Enum(name="plan").drop(op.get_bind(), checkfirst=True)


# endregion


# region: add-column
def upgrade_add_column() -> None:
    role = sa.Enum("admin", "viewer", name="role")
    # add_column does NOT create the type: without this line, 'type "role" does not exist'.
    role.create(op.get_bind(), checkfirst=True)
    op.add_column("subscription", sa.Column("role", role, nullable=True))


def downgrade_drop_column() -> None:
    op.drop_column("subscription", "role")
    sa.Enum(name="role").drop(op.get_bind(), checkfirst=True)


# endregion


def add_column_without_create() -> None:
    op.add_column(
        "subscription", sa.Column("role", sa.Enum("admin", "viewer", name="role"), nullable=True)
    )


def migrate(url: str, step: Callable[[], None]) -> None:
    """Run one upgrade/downgrade function in a transaction, as Alembic would."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
            step()
    finally:
        engine.dispose()


def enum_types(url: str) -> list[str]:
    """Names of the enum types in the database (PostgreSQL)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            query = "SELECT typname FROM pg_type WHERE typtype = 'e' ORDER BY typname"
            return list(conn.scalars(text(query)))
    finally:
        engine.dispose()


def main(url: str = "sqlite://") -> dict[str, str]:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        labels = stored_labels(session)
        session.commit()
    print(f"stored labels: {labels}")
    engine.dispose()
    return labels


if __name__ == "__main__":
    main(*sys.argv[1:2])
