"""The code under test for the testing examples: a model and service functions that commit.

Backends: sqlite, postgresql
Run: python examples/testing/dbtest_models.py [DATABASE_URL]
"""

# lint: ignore-file[NC001]  (naming conventions: see migr_models.py)

from __future__ import annotations

import sys

from sqlalchemy import String, create_engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


# region: models
class Base(DeclarativeBase):
    pass


class Customer(Base):
    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    vip: Mapped[bool] = mapped_column(default=False)


# endregion


# region: code-under-test
def sign_up(session: Session, email: str, name: str) -> Customer:
    """Application code that owns its transaction: it commits."""
    customer = Customer(email=email, name=name)
    session.add(customer)
    session.commit()
    return customer


def sign_up_all(session: Session, people: list[tuple[str, str]]) -> list[str]:
    """Commit each new customer; roll back and skip a duplicate email. Returns the skipped."""
    skipped = []
    for email, name in people:
        session.add(Customer(email=email, name=name))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            skipped.append(email)
    return skipped


async def sign_up_async(session: AsyncSession, email: str, name: str) -> Customer:
    customer = Customer(email=email, name=name)
    session.add(customer)
    await session.commit()
    return customer


def emails(session: Session) -> list[str]:
    return list(session.scalars(select(Customer.email).order_by(Customer.email)))


def count_customers(session: Session) -> int:
    return session.scalars(select(func.count()).select_from(Customer)).one()


# endregion


def main(url: str = "sqlite://") -> list[str]:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        sign_up(session, "ada@example.com", "Ada")
        skipped = sign_up_all(session, [("ada@example.com", "Ada"), ("bo@example.com", "Bo")])
        result = emails(session)
    engine.dispose()
    print("customers:", result, "skipped:", skipped)
    return result


if __name__ == "__main__":
    main(*sys.argv[1:2])
