"""Test data factories: valid defaults, overrides win."""

from __future__ import annotations

from typing import Any

from models import Customer
from sqlalchemy.orm import Session


def make_customer(session: Session, **overrides: Any) -> Customer:
    fields = {
        "email": "customer@example.com",
        "username": "customer",
        "name": "Test Customer",
        "tier": "free",
    }
    customer = Customer(**(fields | overrides))
    session.add(customer)
    session.flush()  # INSERT now: the id is set and queries see the row
    return customer
