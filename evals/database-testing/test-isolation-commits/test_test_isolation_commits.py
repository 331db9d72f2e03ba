"""test-isolation-commits: the agent's conftest.py must give every test an empty database even
though the code under test commits; a test still sees what that code committed.

The grader runs a small pytest session in a copy of the solution (shop.py and the tests below
written next to its conftest.py), once on a SQLite file and once on PostgreSQL. The tests run
in file order: the second signs up the email the first one committed.
"""

from __future__ import annotations

import re
from pathlib import Path

from _shared.pytest_run import run_pytest_in_copy

SHOP = """from __future__ import annotations

from sqlalchemy import String, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class Customer(Base):
    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(100))


def sign_up(session: Session, email: str, name: str) -> Customer:
    customer = Customer(email=email, name=name)
    session.add(customer)
    session.commit()
    return customer


def count_customers(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Customer))
"""

TESTS = """from sqlalchemy import select

import shop


def test_sign_up_commits_and_the_test_sees_it(session):
    shop.sign_up(session, "ada@example.com", "Ada")
    assert session.scalars(select(shop.Customer.email)).all() == ["ada@example.com"]


def test_the_next_test_starts_empty(session):
    assert shop.count_customers(session) == 0, "a row committed by an earlier test leaked"
    shop.sign_up(session, "ada@example.com", "Ada again")  # the same unique email
    assert shop.count_customers(session) == 1


def test_and_so_does_the_one_after(session):
    assert shop.count_customers(session) == 0, "a row committed by an earlier test leaked"
"""


def test_each_test_starts_empty_and_sees_its_commits(db, tmp_path, request):
    solution = Path(request.config.getoption("--solution")).resolve()
    files = {"shop.py": SHOP, "test_grader_isolation.py": TESTS}
    result = run_pytest_in_copy(
        solution, tmp_path, files, db.url, tests=("test_grader_isolation.py",)
    )
    output = result.stdout[-4000:] + result.stderr[-2000:]
    assert result.returncode == 0 and re.search(r"\b3 passed\b", result.stdout), output
