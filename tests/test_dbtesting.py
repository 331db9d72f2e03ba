"""Testing database code: rolled-back sessions, the SQLite savepoint recipe, factories."""

import asyncio
import os
import subprocess
import sys

import pytest
from conftest import EXAMPLES, SERVER_URLS, drop_postgresql_database
from sqlalchemy import create_engine, func, inspect, make_url, select, text
from sqlalchemy.orm import Session

SUITE = EXAMPLES / "testing" / "dbtest_suite.py"
SUITE_TESTS = [
    "test_a_commit_is_visible_inside_the_test",
    "test_the_next_test_starts_empty",
    "test_a_rollback_in_the_code_only_undoes_its_own_work",
    "test_factory_fills_in_what_the_test_leaves_out",
    "test_async_commit_is_visible_inside_the_test",
    "test_async_next_test_starts_empty",
]


@pytest.fixture
def engine(db, example):
    engine = example("dbtest_fixtures").make_test_engine(db.url)
    example("dbtest_models").Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def rows_in_database(engine, example) -> int:
    with Session(engine) as session:
        return example("dbtest_models").count_customers(session)


def test_commits_are_visible_in_the_test_and_gone_after_it(engine, example):
    fixtures, models = example("dbtest_fixtures"), example("dbtest_models")
    with fixtures.rolled_back_session(engine) as session:
        models.sign_up(session, "ada@example.com", "Ada")
        models.sign_up(session, "bo@example.com", "Bo")
        assert models.count_customers(session) == 2
    assert rows_in_database(engine, example) == 0


def test_rollback_in_code_under_test_returns_to_the_savepoint(engine, example):
    fixtures, models = example("dbtest_fixtures"), example("dbtest_models")
    with fixtures.rolled_back_session(engine) as session:
        models.sign_up(session, "first@example.com", "First")
        skipped = models.sign_up_all(
            session, [("first@example.com", "Again"), ("second@example.com", "Second")]
        )
        assert skipped == ["first@example.com"]
        # The duplicate's rollback did not undo the earlier commit, nor the later one.
        assert models.emails(session) == ["first@example.com", "second@example.com"]
    assert rows_in_database(engine, example) == 0


def test_default_join_mode_lets_a_rollback_wipe_the_test_data(engine, example):
    models, factories = example("dbtest_models"), example("dbtest_factories")
    with engine.connect() as connection:
        transaction = connection.begin()
        session = Session(bind=connection)  # join_transaction_mode left at its default
        factories.CustomerFactory(session).create(email="setup@example.com")
        models.sign_up_all(session, [("new@example.com", "N"), ("new@example.com", "Dup")])
        # The duplicate's rollback() rolled back the test's own transaction: all gone.
        assert models.emails(session) == []
        assert not transaction.is_active
        session.close()
    assert rows_in_database(engine, example) == 0


@pytest.mark.backends("sqlite")
def test_without_the_recipe_a_sqlite_commit_escapes_the_rollback(db, example):
    fixtures, models = example("dbtest_fixtures"), example("dbtest_models")
    plain = create_engine(db.url)  # no enable_sqlite_savepoints()
    models.Base.metadata.create_all(plain)
    with fixtures.rolled_back_session(plain) as session:
        models.sign_up(session, "ada@example.com", "Ada")
    try:
        assert rows_in_database(plain, example) == 1  # the test leaked a row
    finally:
        plain.dispose()


def test_async_commits_are_visible_in_the_test_and_gone_after_it(engine, db, example):
    fixtures, models = example("dbtest_fixtures"), example("dbtest_models")

    async def scenario() -> int:
        async_engine = fixtures.make_test_async_engine(db.async_url)
        try:
            async with fixtures.rolled_back_async_session(async_engine) as session:
                await models.sign_up_async(session, "asya@example.com", "Asya")
                await session.rollback()  # back to the savepoint after the commit
                count = select(func.count()).select_from(models.Customer)
                return await session.scalar(count)
        finally:
            await async_engine.dispose()

    assert asyncio.run(scenario()) == 1
    assert rows_in_database(engine, example) == 0


def test_factory_sequences_and_overrides(engine, example):
    fixtures, factories = example("dbtest_fixtures"), example("dbtest_factories")
    with fixtures.rolled_back_session(engine) as session:
        customers = factories.CustomerFactory(session)
        batch = customers.create_batch(3)
        vip = customers.create(email="vip@example.com", vip=True)
        assert [c.email for c in batch] == [f"customer{n}@example.com" for n in (1, 2, 3)]
        assert all(c.id is not None for c in batch)  # flushed: ids assigned
        assert (vip.email, vip.vip, vip.name) == ("vip@example.com", True, "Customer 4")
        assert example("dbtest_models").count_customers(session) == 4
    assert rows_in_database(engine, example) == 0


def run_suite(urls: str, tmp_path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(SUITE),
            "-p",
            "dbtest_fixtures",
            "-p",
            "no:cacheprovider",
        ]
        + ["-v", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={**os.environ, "TEST_DATABASE_URLS": urls, "PYTHONPATH": str(SUITE.parent)},
    )


def passed_on(backend: str, result: subprocess.CompletedProcess) -> list[str]:
    """Names of the suite's tests that pytest -v reported PASSED for that backend."""
    return [
        name
        for name in SUITE_TESTS
        for line in result.stdout.splitlines()
        if f"::{name}[{backend}" in line and "PASSED" in line
    ]


def test_example_suite_passes_and_leaves_no_rows(engine, db, tmp_path, example):
    result = run_suite(db.url, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert passed_on(db.name, result) == SUITE_TESTS
    assert rows_in_database(engine, example) == 0  # tables exist, every commit rolled back


@pytest.mark.backends("postgresql")
def test_example_suite_runs_once_per_backend(db, tmp_path):
    result = run_suite(f"sqlite:///{tmp_path / 'suite.db'} {SERVER_URLS['postgresql']}", tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert passed_on("sqlite", result) == SUITE_TESTS
    assert passed_on("postgresql", result) == SUITE_TESTS


@pytest.mark.backends("postgresql")
def test_example_suite_under_xdist_gives_each_worker_its_own_database(db, tmp_path):
    """pytest -n 2: each worker makes and uses <name>_gwN (a file per worker on SQLite), so no
    worker's drop_all/create_all runs under another's tests; the given database stays unused."""
    name = make_url(db.url).database
    try:
        result = run_suite(f"sqlite:///{tmp_path / 'suite.db'} {db.url}", tmp_path, "-n", "2")
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert passed_on("sqlite", result) == SUITE_TESTS
        assert passed_on("postgresql", result) == SUITE_TESTS
        engine = create_engine(db.url)
        try:
            with engine.connect() as conn:
                assert inspect(conn).get_table_names() == []  # nobody used the shared database
                made = conn.scalars(
                    text("select datname from pg_database where datname like :p"),
                    {"p": f"{name}_gw%"},
                ).all()
        finally:
            engine.dispose()
        files = sorted(p.name for p in tmp_path.glob("suite*.db"))
        assert made and set(made) <= {f"{name}_gw0", f"{name}_gw1"}
        assert files and set(files) <= {"suite_gw0.db", "suite_gw1.db"}  # no shared suite.db
    finally:
        for worker in ("gw0", "gw1"):
            drop_postgresql_database(make_url(db.url).set(database=f"{name}_{worker}"))
