import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

SUPPORTED = {
    "sqlite": ["SERIALIZABLE", "READ UNCOMMITTED"],
    "postgresql": ["READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE", "READ UNCOMMITTED"],
}
DEFAULT = {"sqlite": "SERIALIZABLE", "postgresql": "READ COMMITTED"}


@pytest.fixture
def engine(db, example):
    engine = create_engine(db.url)
    example("tx_models").Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_per_connection_level_is_what_the_database_reports(db, engine, example):
    isolation = example("tx_isolation")
    for level in SUPPORTED[db.name]:
        assert isolation.level_seen_by(engine, level) == level
    with engine.connect() as conn:  # the pool hands back connections at the default again
        assert conn.get_isolation_level() == DEFAULT[db.name]


def test_per_engine_level_applies_to_every_connection(db, example):
    engine = example("tx_isolation").engine_at(db.url, "SERIALIZABLE")
    for _ in range(2):
        with engine.connect() as conn:
            assert conn.get_isolation_level() == "SERIALIZABLE"
    engine.dispose()


def test_per_session_level(db, engine, example):
    with example("tx_isolation").session_at(engine, "SERIALIZABLE") as session:
        assert session.connection().get_isolation_level() == "SERIALIZABLE"


@pytest.mark.backends("sqlite")
def test_sqlite_rejects_levels_it_does_not_have(engine, example):
    for level in ("READ COMMITTED", "REPEATABLE READ"):
        with pytest.raises(ArgumentError, match="Invalid value"):
            example("tx_isolation").level_seen_by(engine, level)


def test_autocommit_commits_each_statement(db, engine, example):
    isolation = example("tx_isolation")
    isolation.add_in_autocommit(engine, "ada")
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(example("tx_models").Account))
    assert count == 1  # the rollback() in the function had nothing to undo
    # get_isolation_level() names the server's level, not AUTOCOMMIT:
    assert isolation.level_seen_by(engine, "AUTOCOMMIT") == DEFAULT[db.name]


@pytest.mark.backends("postgresql")
@pytest.mark.parametrize(
    ("level", "sees_the_commit"),
    [("READ COMMITTED", True), ("REPEATABLE READ", False), ("SERIALIZABLE", False)],
)
def test_second_read_sees_a_concurrent_commit_only_under_read_committed(
    engine, example, level, sees_the_commit
):
    Account = example("tx_models").Account
    with Session(engine) as session, session.begin():
        session.add(Account(id=1, owner="ada", balance=100))
    first, second = example("tx_isolation").read_twice(engine, level, 1)
    assert first == 100
    assert second == (101 if sees_the_commit else 100)


def test_main_lists_the_levels(db, example):
    seen = example("tx_isolation").main(db.url)
    assert seen["engine SERIALIZABLE"] == seen["session SERIALIZABLE"] == "SERIALIZABLE"
