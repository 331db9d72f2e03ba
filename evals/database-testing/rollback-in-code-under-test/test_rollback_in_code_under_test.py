"""rollback-in-code-under-test: the code under test rolls back after an IntegrityError and
carries on; the test's own setup rows must survive that rollback, and nothing may leak into
the next test.

The grader runs a small pytest session in a copy of the solution (importer.py and the tests
below written next to its conftest.py), once on a SQLite file and once on PostgreSQL.
"""

from __future__ import annotations

import re
from pathlib import Path

from _shared.pytest_run import run_pytest_in_copy

IMPORTER = '''from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class Customer(Base):
    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(100))


def import_customers(session: Session, records: list[tuple[str, str]]) -> list[str]:
    """Commit each new customer; roll back and skip a duplicate email. Returns the skipped."""
    skipped = []
    for email, name in records:
        session.add(Customer(email=email, name=name))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            skipped.append(email)
    return skipped
'''

TESTS = """from sqlalchemy import func, select

from importer import Customer, import_customers


def emails(session):
    return session.scalars(select(Customer.email).order_by(Customer.email)).all()


def test_setup_rows_survive_the_rollback_of_a_duplicate(session):
    session.add(Customer(email="old@example.com", name="Old"))
    session.flush()
    skipped = import_customers(
        session, [("new@example.com", "N"), ("old@example.com", "Dup"), ("next@example.com", "X")]
    )
    assert skipped == ["old@example.com"]
    assert emails(session) == ["new@example.com", "next@example.com", "old@example.com"]


def test_committed_setup_survives_a_rollback_that_comes_first(session):
    session.add_all(
        [Customer(email="a@example.com", name="A"), Customer(email="b@example.com", name="B")]
    )
    session.commit()
    skipped = import_customers(session, [("a@example.com", "Dup"), ("c@example.com", "C")])
    assert skipped == ["a@example.com"]
    assert emails(session) == ["a@example.com", "b@example.com", "c@example.com"]


def test_nothing_leaked_from_the_earlier_tests(session):
    assert session.scalar(select(func.count()).select_from(Customer)) == 0
"""


def test_setup_survives_the_code_rollback_and_nothing_leaks(db, tmp_path, request):
    solution = Path(request.config.getoption("--solution")).resolve()
    files = {"importer.py": IMPORTER, "test_grader_rollback.py": TESTS}
    result = run_pytest_in_copy(
        solution, tmp_path, files, db.url, tests=("test_grader_rollback.py",)
    )
    output = result.stdout[-4000:] + result.stderr[-2000:]
    assert result.returncode == 0 and re.search(r"\b3 passed\b", result.stdout), output
