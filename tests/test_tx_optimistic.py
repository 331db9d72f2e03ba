import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import sessionmaker
from sqlalchemy.orm.exc import StaleDataError


@pytest.fixture
def SessionLocal(db, example):
    example("tx_optimistic")  # registers Document on the shared Base
    engine = create_engine(db.url)
    example("tx_models").Base.metadata.create_all(engine)
    yield sessionmaker(engine)
    engine.dispose()


def test_each_update_bumps_the_version(SessionLocal, example):
    optimistic = example("tx_optimistic")
    document_id = optimistic.create(SessionLocal, "v1")
    with SessionLocal() as session:
        document = session.get(optimistic.Document, document_id)
        assert document.version == 1
        assert optimistic.save(session, document, "v2")
        assert optimistic.save(session, document, "v3")
        assert document.version == 3


def test_second_concurrent_flush_raises_stale_data_error(SessionLocal, example):
    Document = example("tx_optimistic").Document
    document_id = example("tx_optimistic").create(SessionLocal, "draft")
    with SessionLocal() as first, SessionLocal() as second:
        mine = first.get(Document, document_id)
        theirs = second.get(Document, document_id)
        mine.body = "first"
        first.commit()
        theirs.body = "second"
        with pytest.raises(StaleDataError, match="expected to update 1 row"):
            second.flush()


def test_save_reports_the_conflict_and_keeps_the_first_edit(SessionLocal, example):
    optimistic = example("tx_optimistic")
    document_id = optimistic.create(SessionLocal, "draft")
    assert optimistic.two_editors(SessionLocal, document_id) == (True, False)
    with SessionLocal() as session:
        row = session.execute(select(optimistic.Document.body, optimistic.Document.version)).one()
    assert tuple(row) == ("alice's text", 2)


def test_main_shows_bob_losing_the_race(db, example):
    assert example("tx_optimistic").main(db.url) == (True, False)
