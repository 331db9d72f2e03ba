"""A typed generic repository and a unit of work that owns the session and the commit.

Repositories only add, fetch and remove objects; they never commit. The unit of work opens
one session, hands the same session to every repository, commits once when its block ends
and rolls back if the block raises, so writes through several repositories land together.

Backends: sqlite, postgresql
Run: python examples/patterns/repo_sync.py [DATABASE_URL]
"""

from __future__ import annotations

import sys

# region: imports
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Generic, TypeVar

from repo_models import Base, Customer, Order
from sqlalchemy import ColumnElement, create_engine, func, select
from sqlalchemy.orm import Session, sessionmaker

# endregion


# region: repository
ModelT = TypeVar("ModelT", bound=Base)


class Repository(Generic[ModelT]):
    """Collection-like access to one model. Never commits: the unit of work does."""

    def __init__(self, session: Session, model: type[ModelT]) -> None:
        self.session = session
        self.model = model

    def get(self, id: Any) -> ModelT | None:
        return self.session.get(self.model, id)  # identity map first, then one SELECT

    def add(self, obj: ModelT) -> ModelT:
        self.session.add(obj)
        return obj

    def remove(self, obj: ModelT) -> None:
        self.session.delete(obj)

    def list(self, *where: ColumnElement[bool], limit: int | None = None) -> Sequence[ModelT]:
        stmt = select(self.model).where(*where).order_by(*self.model.__mapper__.primary_key)
        return self.session.scalars(stmt.limit(limit)).all()


class CustomerRepository(Repository[Customer]):
    """Queries that belong to one model go on its own subclass."""

    def __init__(self, session: Session) -> None:
        super().__init__(session, Customer)

    def by_email(self, email: str) -> Customer | None:
        return self.session.scalars(select(Customer).where(Customer.email == email)).first()


# endregion


# region: unit-of-work
class UnitOfWork:
    """One session, one transaction: commit on a clean exit, roll back on an exception."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def __enter__(self) -> UnitOfWork:
        self.session = self.session_factory()
        self.customers = CustomerRepository(self.session)
        self.orders = Repository(self.session, Order)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                self.session.commit()
            else:
                self.session.rollback()
        finally:
            self.session.close()


# endregion


# region: service
def open_account(
    session_factory: sessionmaker[Session], email: str, order_totals: list[int]
) -> int:
    """A service function: the business rule lives here, the transaction in the unit of work."""
    with UnitOfWork(session_factory) as uow:
        customer = uow.customers.add(Customer(email=email))
        uow.session.flush()  # INSERT sent: the id is known, the row is not committed yet
        for total in order_totals:
            if total <= 0:
                raise ValueError(f"order total must be positive, got {total}")
            uow.orders.add(Order(customer=customer, total_cents=total))
        return customer.id  # the commit runs as the block exits


# endregion


# region: no-commit
def add_without_unit_of_work(session_factory: sessionmaker[Session], email: str) -> int:
    """A repository on its own session: the row is visible inside, never committed."""
    with session_factory() as session:
        repo = CustomerRepository(session)
        repo.add(Customer(email=email))
        session.flush()
        return len(repo.list())  # 1 here; the session closes without commit: rolled back


# endregion


def count_rows(session_factory: sessionmaker[Session]) -> dict[str, int]:
    with session_factory() as session:
        return {
            model.__tablename__: session.scalars(select(func.count()).select_from(model)).one()
            for model in (Customer, Order)
        }


def main(url: str = "sqlite://") -> dict[str, int]:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    # region: usage
    session_factory = sessionmaker(engine, expire_on_commit=False)
    open_account(session_factory, "ada@example.com", [1200, 300])
    try:
        open_account(session_factory, "bob@example.com", [500, -1])  # -1: nothing is saved
    except ValueError as error:
        print("rolled back:", error)
    with UnitOfWork(session_factory) as uow:
        ada = uow.customers.by_email("ada@example.com")
        assert ada is not None  # committed by open_account above
        big_orders = uow.orders.list(Order.customer_id == ada.id, Order.total_cents > 1000)
        print("ada's big orders:", [order.total_cents for order in big_orders])
    # endregion
    counts = count_rows(session_factory)
    print("rows:", counts)
    engine.dispose()
    return counts


if __name__ == "__main__":
    main(*sys.argv[1:2])
