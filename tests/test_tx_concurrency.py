"""Real threads on PostgreSQL, each with its own sessions; small N x K, every wait bounded."""

import collections
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import sessionmaker

pytestmark = pytest.mark.backends("postgresql")
WORKERS, TIMES = 4, 10


@pytest.fixture
def engine(db, example):
    engine = create_engine(db.url, pool_size=WORKERS + 1)
    example("tx_models").Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_naive_read_modify_write_loses_updates(engine, example, figures):
    counter = example("tx_counter")
    final = counter.run_workers(sessionmaker(engine), counter.increment_naive, WORKERS, TIMES)
    lost = WORKERS * TIMES - final
    figures.record("updates lost by naive read-modify-write", lost)
    # The workers start together and pause between read and write, so they overwrite each other.
    assert final < WORKERS * TIMES


@pytest.mark.parametrize("name", ["increment_locked", "increment_atomic"])
def test_for_update_and_atomic_update_lose_nothing(engine, example, figures, name):
    counter = example("tx_counter")
    increment = getattr(counter, name)
    final = counter.run_workers(sessionmaker(engine), increment, WORKERS, TIMES)
    figures.record(f"updates lost by {name}", WORKERS * TIMES - final)
    assert final == WORKERS * TIMES


def test_serializable_transfers_keep_the_total_exact(db, example, figures):
    transfers = example("tx_transfers")
    engine = create_engine(db.url, isolation_level="SERIALIZABLE", pool_size=WORKERS + 1)
    example("tx_models").Base.metadata.create_all(engine)
    SessionLocal = sessionmaker(engine)
    retries = transfers.run_transfers(SessionLocal, WORKERS, TIMES, accounts=4)
    figures.record("serialization-failure retries in 40 SERIALIZABLE transfers", retries)
    assert transfers.total(SessionLocal) == 4 * 1000
    engine.dispose()


def test_skip_locked_hands_each_job_to_exactly_one_worker(engine, example, figures):
    claims = example("tx_job_queue").run_workers(sessionmaker(engine), jobs=40, workers=WORKERS)
    Job = example("tx_models").Job
    with engine.connect() as conn:
        ids = list(conn.scalars(select(Job.id)))
        unclaimed = list(conn.scalars(select(Job.id).where(Job.claimed_by.is_(None))))
    figures.record("jobs claimed twice with SKIP LOCKED", sum(n > 1 for n in claims.values()))
    assert sorted(claims) == sorted(ids) and len(ids) == 40  # every job claimed ...
    assert set(claims.values()) == {1}  # ... exactly once
    assert unclaimed == []


def test_retry_recovers_from_a_real_deadlock(db, example, figures):
    # Two transactions lock two rows in opposite order; PostgreSQL aborts one with 40P01 and
    # the retry runs it again. A short deadlock_timeout keeps the test quick.
    retry = example("tx_retry")
    Account = example("tx_models").Account
    engine = create_engine(db.url, connect_args={"options": "-c deadlock_timeout=100ms"})
    example("tx_models").Base.metadata.create_all(engine)
    SessionLocal = sessionmaker(engine)
    with SessionLocal.begin() as session:
        session.add_all(
            [Account(id=1, owner="a", balance=100), Account(id=2, owner="b", balance=100)]
        )
    both_hold_one_row = threading.Barrier(2, timeout=10)
    attempts = collections.Counter()
    retried = []

    def shift(session, account_id: int, change: int) -> None:
        stmt = update(Account).where(Account.id == account_id)
        session.execute(stmt.values(balance=Account.balance + change))

    @retry.retry_on_conflict(
        max_attempts=3, base_delay=0.01, on_retry=lambda n, exc: retried.append(retry.sqlstate(exc))
    )
    def move(source: int, target: int, amount: int) -> None:
        attempts[source] += 1
        with SessionLocal.begin() as session:
            shift(session, source, -amount)  # locks the source row
            if attempts[source] == 1:
                both_hold_one_row.wait()  # each now holds the row the other locks next
            shift(session, target, amount)

    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(move, 1, 2, 10), pool.submit(move, 2, 1, 3)]
        for future in futures:
            future.result(timeout=30)
    figures.record("deadlocks retried", len(retried))
    assert retried == ["40P01"]
    assert sorted(attempts.values()) == [1, 2]
    with SessionLocal() as session:
        balances = dict(session.execute(select(Account.id, Account.balance)).all())
    assert balances == {1: 100 - 10 + 3, 2: 100 + 10 - 3}  # both moves applied exactly once
    engine.dispose()
