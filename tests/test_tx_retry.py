import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError, OperationalError
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
