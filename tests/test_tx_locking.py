import asyncio

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import sessionmaker


@pytest.fixture
def SessionLocal(db, example):
    engine = create_engine(db.url)
    models = example("tx_models")
    models.Base.metadata.create_all(engine)
    factory = sessionmaker(engine)
    with factory.begin() as session:
        session.add(models.Account(id=1, owner="ada", balance=100))
        session.add(models.Account(id=2, owner="bob", balance=100))
    yield factory
    engine.dispose()


@pytest.fixture(params=["psycopg", "asyncpg"])
def on_driver(request, db, SessionLocal):
    """Run a sync scenario(SessionLocal) on psycopg, or on asyncpg through run_sync.

    run_sync runs the same sync session code on the asyncpg connection pool, so the errors
    are exactly those async code sees.
    """

    def run(scenario):
        if request.param == "psycopg":
            return scenario(SessionLocal)

        async def on_asyncpg():
            engine = create_async_engine(db.async_url)
            try:
                async with engine.connect() as conn:
                    factory = sessionmaker(engine.sync_engine)
                    return await conn.run_sync(lambda _: scenario(factory))
            finally:
                await engine.dispose()

        return asyncio.run(on_asyncpg())

    run.driver = request.param
    return run


@pytest.mark.backends("postgresql")
def test_nowait_raises_lock_not_available_while_another_transaction_holds_the_row(
    on_driver, example
):
    locking = example("tx_locking")

    def scenario(SessionLocal):
        with SessionLocal.begin() as holder, SessionLocal() as other:
            locking.withdraw(holder, 1, 30)
            with pytest.raises(DBAPIError) as caught:
                locking.lock_now_or_fail(other, 1)
            other.rollback()  # the failed statement aborted other's transaction: start anew
            assert locking.lock_now_or_fail(other, 2).owner == "bob"  # other rows stay free
        return caught.value

    error = on_driver(scenario)
    assert locking.sqlstate(error) == "55P03" and locking.is_lock_not_available(error)
    # psycopg maps 55P03 to OperationalError; SQLAlchemy's asyncpg adapter does not.
    assert isinstance(error, OperationalError) == (on_driver.driver == "psycopg")


@pytest.mark.backends("postgresql")
def test_withdraw_unless_busy_gives_up_at_once_then_succeeds(on_driver, example):
    locking = example("tx_locking")

    def scenario(SessionLocal):
        with SessionLocal.begin() as holder:
            locking.withdraw(holder, 1, 30)
            busy = locking.withdraw_unless_busy(SessionLocal, 1, 5)  # busy: nothing changed
        return busy, locking.withdraw_unless_busy(SessionLocal, 1, 5)

    assert on_driver(scenario) == (None, 65)  # 100 - 30 - 5


@pytest.mark.backends("postgresql")
def test_plain_for_update_waits_for_the_holder(on_driver, example):
    # A blocked FOR UPDATE shows up as the lock_timeout error; without a holder it succeeds.
    locking = example("tx_locking")

    def scenario(SessionLocal):
        with SessionLocal.begin() as holder, SessionLocal() as other:
            locking.withdraw(holder, 1, 30)
            with pytest.raises(DBAPIError) as caught:
                locking.lock_within(other, 1, timeout_ms=100)
            assert locking.is_lock_not_available(caught.value)
        with SessionLocal.begin() as session:
            return locking.lock_within(session, 1, timeout_ms=100).balance

    assert on_driver(scenario) == 70


@pytest.mark.backends("postgresql")
def test_withdraw_after_a_locked_withdraw_sees_the_committed_balance(SessionLocal, example):
    locking = example("tx_locking")
    with SessionLocal.begin() as session:
        assert locking.withdraw(session, 1, 30) == 70
    with SessionLocal.begin() as session:
        assert locking.withdraw(session, 1, 30) == 40


@pytest.mark.backends("postgresql")
def test_nowait_and_skip_locked_together_is_a_postgresql_syntax_error(SessionLocal, example):
    Account = example("tx_models").Account
    stmt = select(Account).with_for_update(nowait=True, skip_locked=True)
    assert "FOR UPDATE NOWAIT SKIP LOCKED" in str(stmt.compile(dialect=postgresql.dialect()))
    with SessionLocal() as session, pytest.raises(ProgrammingError) as caught:
        session.execute(stmt)
    assert caught.value.orig.sqlstate == "42601"


def test_sqlite_dialect_drops_for_update(example):
    Account = example("tx_models").Account
    for options in ({}, {"nowait": True}, {"skip_locked": True}):
        stmt = select(Account).with_for_update(**options)
        assert "FOR UPDATE" not in str(stmt.compile(dialect=sqlite.dialect()))
        assert "FOR UPDATE" in str(stmt.compile(dialect=postgresql.dialect()))


@pytest.mark.backends("postgresql")
def test_main_reports_nowait_failure(db, example):
    outcome = example("tx_locking").main(db.url)
    assert outcome.endswith("lock not available: True")
