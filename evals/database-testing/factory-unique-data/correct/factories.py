"""Test data factories: valid defaults, unique values for unique columns, overrides win."""

from __future__ import annotations

import itertools
from typing import Any

from models import Customer
from sqlalchemy.orm import Session

_sequence = itertools.count(1)  # one counter per test run: unique emails and usernames


def make_customer(session: Session, **overrides: Any) -> Customer:
    n = next(_sequence)
    fields = {
        "email": f"customer{n}@example.com",
        "username": f"customer{n}",
        "name": f"Customer {n}",
        "tier": "free",
    }
    customer = Customer(**(fields | overrides))
    session.add(customer)
    session.flush()  # INSERT now: the id is set and queries see the row
    return customer
