import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker


@pytest.fixture
def engine(db, example):
    engine = create_engine(db.url)
    example("tx_models").Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_session_begin_commits_at_the_end_of_the_block(engine, example):
    blocks = example("tx_blocks")
    blocks.open_account(engine, "ada", 100)
    blocks.open_account(engine, "bob", 0)
    blocks.transfer(sessionmaker(engine), "ada", "bob", 40)
    assert blocks.balances(engine) == {"ada": 60, "bob": 40}


def test_exception_in_session_begin_undoes_every_change(engine, example):
    blocks = example("tx_blocks")
    blocks.open_account(engine, "ada", 100)
    blocks.open_account(engine, "bob", 0)
    with pytest.raises(blocks.InsufficientFunds):
        blocks.transfer(sessionmaker(engine), "ada", "bob", 500)
    assert blocks.balances(engine) == {"ada": 100, "bob": 0}  # bob's credit was rolled back


def test_engine_begin_commits_all_rows(engine, example):
    blocks = example("tx_blocks")
    blocks.open_accounts(engine, [{"owner": "ada", "balance": 1}, {"owner": "bob", "balance": 2}])
    assert blocks.balances(engine) == {"ada": 1, "bob": 2}


def test_exception_in_engine_begin_leaves_no_row(engine, example):
    blocks = example("tx_blocks")
    rows = [{"owner": "ada", "balance": 1}, {"owner": "whale", "balance": 5_000_000}]
    with pytest.raises(ValueError, match="manual review"):
        blocks.open_accounts(engine, rows)
    assert blocks.account_count(engine) == 0


def test_main_shows_one_commit_and_one_rollback(db, example):
    assert example("tx_blocks").main(db.url) == {"ada": 70, "bob": 80}
