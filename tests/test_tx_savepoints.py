import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker


def make(example, url, recipe: bool):
    savepoints = example("tx_savepoints")
    engine = savepoints.make_engine(url) if recipe else create_engine(url)
    example("tx_models").Base.metadata.create_all(engine)
    return engine


@pytest.fixture
def engine(db, example):
    engine = make(example, db.url, recipe=True)
    yield engine
    engine.dispose()


def test_failed_savepoint_skips_one_row_and_keeps_the_rest(engine, example):
    savepoints = example("tx_savepoints")
    rows = [("ada", 1), ("bob", 2), ("ada", 3), ("cy", 4)]
    skipped = savepoints.import_accounts(sessionmaker(engine), rows)
    assert skipped == ["ada"]
    assert savepoints.owners(engine) == ["ada", "bob", "cy"]


def test_inner_rollback_keeps_outer_rows(engine, example):
    savepoints = example("tx_savepoints")
    savepoints.keep_outer_work(sessionmaker(engine))
    assert savepoints.owners(engine) == ["outer"]


def test_outer_rollback_undoes_a_released_savepoint(engine, example):
    savepoints = example("tx_savepoints")
    savepoints.rollback_after_released_savepoint(engine)
    assert savepoints.owners(engine) == []


@pytest.mark.backends("sqlite")
def test_without_the_recipe_sqlite_keeps_work_the_rollback_should_undo(db, example):
    # As the SQLite dialect docs warn: the SAVEPOINT opened its own transaction (sqlite3 sent no
    # BEGIN first), its RELEASE committed, and the later ROLLBACK had nothing left to undo.
    savepoints = example("tx_savepoints")
    engine = make(example, db.url, recipe=False)
    savepoints.rollback_after_released_savepoint(engine)
    assert savepoints.owners(engine) == ["released"]
    engine.dispose()


@pytest.mark.backends("sqlite")
def test_without_the_recipe_inner_rollback_after_a_write_still_works(db, example):
    # The damage is limited to a SAVEPOINT that comes first: after an INSERT, sqlite3 has sent
    # BEGIN, so ROLLBACK TO SAVEPOINT behaves.
    savepoints = example("tx_savepoints")
    engine = make(example, db.url, recipe=False)
    savepoints.keep_outer_work(sessionmaker(engine))
    assert savepoints.owners(engine) == ["outer"]
    engine.dispose()


@pytest.mark.backends("postgresql")
def test_postgresql_needs_no_recipe(db, example):
    savepoints = example("tx_savepoints")
    engine = make(example, db.url, recipe=False)
    savepoints.rollback_after_released_savepoint(engine)
    assert savepoints.owners(engine) == []
    engine.dispose()


def test_main_commits_the_good_rows(db, example):
    assert example("tx_savepoints").main(db.url) == ["ada", "bob", "outer"]
