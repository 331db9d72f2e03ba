"""A pytest suite on the dbtest_fixtures: commits inside a test never reach the next test.

Running this file runs pytest on it against the database given (and the same database
through its async driver); it exits non-zero when a test fails.

Backends: sqlite, postgresql
Run: python examples/testing/dbtest_suite.py [DATABASE_URL]
"""

from __future__ import annotations

import os
import sys

# region: imports
import pytest
from dbtest_factories import CustomerFactory
from dbtest_models import Customer, count_customers, emails, sign_up, sign_up_all, sign_up_async
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

# endregion


# region: tests
# region: tests-isolation
def test_a_commit_is_visible_inside_the_test(session: Session) -> None:
    sign_up(session, "ada@example.com", "Ada")  # calls session.commit()
    assert emails(session) == ["ada@example.com"]


def test_the_next_test_starts_empty(session: Session) -> None:
    assert count_customers(session) == 0  # the commit above was rolled back with its test


# endregion


def test_a_rollback_in_the_code_only_undoes_its_own_work(
    session: Session, customers: CustomerFactory
) -> None:
    customers.create(email="old@example.com")  # test data, flushed before the code runs
    skipped = sign_up_all(session, [("new@example.com", "N"), ("new@example.com", "Dup")])
    assert skipped == ["new@example.com"]
    # session.rollback() went back to the last savepoint: earlier rows are still there.
    assert emails(session) == ["new@example.com", "old@example.com"]


# region: tests-factory
def test_factory_fills_in_what_the_test_leaves_out(customers: CustomerFactory) -> None:
    first, second = customers.create_batch(2)
    vera = customers.create(name="Vera", vip=True)
    assert first.email != second.email != vera.email
    assert (vera.name, vera.vip, first.vip) == ("Vera", True, False)


# endregion


@pytest.mark.anyio
async def test_async_commit_is_visible_inside_the_test(async_session: AsyncSession) -> None:
    await sign_up_async(async_session, "asya@example.com", "Asya")
    assert await async_session.scalar(select(func.count()).select_from(Customer)) == 1


@pytest.mark.anyio
async def test_async_next_test_starts_empty(async_session: AsyncSession) -> None:
    assert await async_session.scalar(select(func.count()).select_from(Customer)) == 0


# endregion


def main(url: str = "sqlite:///dbtest_suite.db") -> int:
    os.environ["TEST_DATABASE_URLS"] = url  # read by dbtest_fixtures when pytest loads it
    args = [__file__, "-p", "dbtest_fixtures", "-p", "no:cacheprovider", "-v"]
    exit_code = pytest.main(args)
    assert exit_code == 0, f"pytest exit code {exit_code}"
    return int(exit_code)


if __name__ == "__main__":
    main(*sys.argv[1:2])
