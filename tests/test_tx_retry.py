import asyncio

import pytest
from sqlalchemy import create_engine, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import sessionmaker


@pytest.fixture
def SessionLocal(db, example):
    engine = create_engine(db.url)
    example("tx_models").Base.metadata.create_all(engine)
    yield sessionmaker(engine)
    engine.dispose()


def raise_sqlstate(session, condition: str) -> None:
    """Make PostgreSQL itself raise an error with the given condition name."""
    session.execute(
        text(f"DO $$ BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = '{condition}'; END $$")
    )


def test_integrity_error_is_not_retried(SessionLocal, example):
    retry = example("tx_retry")
    Account = example("tx_models").Account
    attempts = []

    @retry.retry_on_conflict(max_attempts=5, base_delay=0.001)
    def add_ada():
        attempts.append(1)
        with SessionLocal.begin() as session:
            session.add(Account(owner="ada", balance=0))

    add_ada()
    attempts.clear()
    with pytest.raises(IntegrityError):
        add_ada()
    assert len(attempts) == 1


@pytest.mark.backends("postgresql")
@pytest.mark.parametrize(
    ("condition", "sqlstate"), [("serialization_failure", "40001"), ("deadlock_detected", "40P01")]
)
def test_retryable_error_is_retried_until_it_succeeds(SessionLocal, example, condition, sqlstate):
    retry = example("tx_retry")
    attempts, retried = [], []

    @retry.retry_on_conflict(
        max_attempts=5,
        base_delay=0.001,
        on_retry=lambda n, exc: retried.append(retry.sqlstate(exc)),
    )
    def flaky():
        attempts.append(1)
        with SessionLocal.begin() as session:
            if len(attempts) < 3:
                raise_sqlstate(session, condition)
            return "done"

    assert flaky() == "done"
    assert len(attempts) == 3
    assert retried == [sqlstate, sqlstate]


@pytest.mark.backends("postgresql")
def test_last_error_propagates_when_attempts_run_out(SessionLocal, example):
    retry = example("tx_retry")
    attempts = []

    @retry.retry_on_conflict(max_attempts=4, base_delay=0.001)
    def always_conflicts():
        attempts.append(1)
        with SessionLocal.begin() as session:
            raise_sqlstate(session, "serialization_failure")

    with pytest.raises(OperationalError) as caught:
        always_conflicts()
    assert len(attempts) == 4
    assert retry.sqlstate(caught.value) == "40001"


@pytest.mark.backends("postgresql")
def test_other_postgresql_errors_are_not_retried(SessionLocal, example):
    retry = example("tx_retry")
    attempts = []

    @retry.retry_on_conflict(max_attempts=4, base_delay=0.001)
    def lock_not_available():
        attempts.append(1)
        with SessionLocal.begin() as session:
            raise_sqlstate(session, "lock_not_available")  # 55P03: an OperationalError too

    with pytest.raises(OperationalError) as caught:
        lock_not_available()
    assert retry.sqlstate(caught.value) == "55P03"
    assert len(attempts) == 1


def test_main_deposits_once_and_rejects_the_duplicate(db, example):
    assert example("tx_retry").main(db.url) == 25


# ---- async: retry_on_conflict_async on asyncpg, with real conflicts --------------------------


def test_sync_decorator_refuses_an_async_function(example):
    retry = example("tx_retry")

    async def deposit() -> None:
        pass

    # Without the check the wrapper would return the coroutine unawaited and never retry.
    with pytest.raises(TypeError, match="is async: use retry_on_conflict_async"):
        retry.retry_on_conflict()(deposit)
    with pytest.raises(TypeError, match="is not async: use retry_on_conflict"):
        retry.retry_on_conflict_async()(lambda: None)


async def accounts_engine(db, example, **options):
    """An asyncpg engine with accounts 1 and 2 holding 100 each."""
    models = example("tx_models")
    engine = create_async_engine(db.async_url, **options)
    async with engine.begin() as conn:
        await conn.run_sync(models.Base.metadata.create_all)
        await conn.execute(
            insert(models.Account),
            [{"id": 1, "owner": "a", "balance": 100}, {"id": 2, "owner": "b", "balance": 100}],
        )
    return engine


async def balances(engine, Account) -> list[int]:
    async with engine.connect() as conn:
        return list(await conn.scalars(select(Account.balance).order_by(Account.id)))


@pytest.mark.backends("postgresql")
def test_async_retry_recovers_from_a_real_serialization_failure(db, example):
    retry, Account = example("tx_retry"), example("tx_models").Account
    attempts, retried = [], []

    async def scenario():
        engine = await accounts_engine(db, example, isolation_level="REPEATABLE READ")

        @retry.retry_on_conflict_async(
            base_delay=0.001, on_retry=lambda n, exc: retried.append(retry.sqlstate(exc))
        )
        async def add_interest() -> None:
            attempts.append(1)
            async with engine.begin() as conn:
                stmt = select(Account.balance).where(Account.id == 1)
                balance = await conn.scalar(stmt)  # the snapshot is taken here
                if len(attempts) == 1:  # another transaction changes the row and commits
                    async with engine.begin() as other:
                        await other.execute(
                            update(Account).where(Account.id == 1).values(balance=101)
                        )
                # Updating a row changed since our snapshot: 40001 at once, no waiting.
                await conn.execute(
                    update(Account).where(Account.id == 1).values(balance=balance + 10)
                )

        try:
            await add_interest()
            return await balances(engine, Account)
        finally:
            await engine.dispose()

    assert asyncio.run(scenario()) == [111, 100]  # the retry read 101, not the stale 100
    assert len(attempts) == 2 and retried == ["40001"]


@pytest.mark.backends("postgresql")
def test_async_retry_recovers_from_a_real_deadlock(db, example):
    # The retried transaction locks row 1; the other one locks row 2 and then waits for row 1;
    # the retried one then asks for row 2. Its deadlock_timeout (100ms) runs out long before
    # the other's (10s), so PostgreSQL picks it as the victim: 40P01 on every run.
    # SET deadlock_timeout needs a superuser (or GRANT SET on PostgreSQL 15+).
    retry, Account = example("tx_retry"), example("tx_models").Account
    attempts, retried = [], []

    async def scenario():
        engine = await accounts_engine(db, example)
        row_2_locked = asyncio.Event()

        def add(account_id: int, change: int):
            return (
                update(Account)
                .where(Account.id == account_id)
                .values(balance=Account.balance + change)
            )

        async def other_side() -> None:
            async with engine.begin() as conn:
                await conn.execute(text("set local deadlock_timeout = '10s'"))
                await conn.execute(text("set local lock_timeout = '5s'"))  # bounded
                await conn.execute(add(2, 1))
                row_2_locked.set()
                await conn.execute(add(1, 1))  # waits for the retried transaction

        async def until_a_lock_wait() -> None:
            async with engine.connect() as conn:
                for _ in range(250):  # at most ~5 s
                    waits = await conn.scalar(
                        text("select count(*) from pg_locks where not granted")
                    )
                    if waits:
                        return
                    await asyncio.sleep(0.02)
            raise AssertionError("the other transaction never waited for row 1")

        @retry.retry_on_conflict_async(
            base_delay=0.001, on_retry=lambda n, exc: retried.append(retry.sqlstate(exc))
        )
        async def transfer() -> None:
            attempts.append(1)
            async with engine.begin() as conn:
                await conn.execute(text("set local deadlock_timeout = '100ms'"))
                await conn.execute(add(1, -10))
                if len(attempts) == 1:
                    other.append(asyncio.create_task(other_side()))
                    await asyncio.wait_for(row_2_locked.wait(), 5)
                    await until_a_lock_wait()
                await conn.execute(add(2, 10))  # attempt 1: deadlock, this one is aborted

        other: list[asyncio.Task[None]] = []
        try:
            await transfer()
            await asyncio.wait_for(other[0], 5)
            return await balances(engine, Account)
        finally:
            await engine.dispose()

    assert asyncio.run(scenario()) == [91, 111]  # both transfers applied exactly once
    assert len(attempts) == 2 and retried == ["40P01"]


@pytest.mark.backends("postgresql")
def test_async_retry_does_not_retry_lock_not_available(db, example):
    retry = example("tx_retry")
    attempts = []

    async def scenario():
        engine = create_async_engine(db.async_url)

        @retry.retry_on_conflict_async(base_delay=0.001)
        async def busy() -> None:
            attempts.append(1)
            async with engine.begin() as conn:
                await conn.run_sync(lambda c: raise_sqlstate(c, "lock_not_available"))

        try:
            await busy()
        finally:
            await engine.dispose()

    with pytest.raises(DBAPIError) as caught:
        asyncio.run(scenario())
    # asyncpg: a plain DBAPIError, so `except OperationalError` would miss it.
    assert not isinstance(caught.value, OperationalError)
    assert retry.sqlstate(caught.value) == "55P03" and len(attempts) == 1
