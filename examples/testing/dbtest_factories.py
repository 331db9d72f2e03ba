"""A plain-Python test data factory: valid defaults, unique sequences, per-call overrides.

Backends: sqlite, postgresql
Run: python examples/testing/dbtest_factories.py [DATABASE_URL]
"""

from __future__ import annotations

# region: imports
import itertools
import sys
from typing import Any

from dbtest_models import Base, Customer
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

# endregion


# region: factory
class CustomerFactory:
    """Builds valid customers; a test names only the fields it cares about."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._sequence = itertools.count(1)  # unique values for unique columns

    def build(self, **overrides: Any) -> Customer:
        n = next(self._sequence)
        fields = {"email": f"customer{n}@example.com", "name": f"Customer {n}", "vip": False}
        return Customer(**(fields | overrides))

    def create(self, **overrides: Any) -> Customer:
        customer = self.build(**overrides)
        self.session.add(customer)
        self.session.flush()  # INSERT now: the id is set and queries see the row
        return customer

    def create_batch(self, count: int, **overrides: Any) -> list[Customer]:
        return [self.create(**overrides) for _ in range(count)]


# endregion


def main(url: str = "sqlite://") -> list[tuple[str, bool]]:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        customers = CustomerFactory(session)
        made = [*customers.create_batch(2), customers.create(name="Vera", vip=True)]
        result = [(c.email, c.vip) for c in made]
        session.rollback()
    engine.dispose()
    print("made:", result)
    return result


if __name__ == "__main__":
    main(*sys.argv[1:2])
