"""Events from +02:00 and -05:00: DateTime(timezone=True) on SQLite sorts and filters them by
local wall time; UTCDateTime stores UTC and gets both right, on SQLite and PostgreSQL."""

from datetime import UTC

import pytest
from sqlalchemy import create_engine, exc, select
from sqlalchemy.orm import Session


@pytest.fixture
def session(db, example):
    mod = example("sqlite_datetimes")
    engine = create_engine(db.url)
    mod.Base.metadata.create_all(engine)
    with Session(engine) as session:
        for model in (mod.PlainEvent, mod.Event):
            mod.add_events(session, model)
        yield session
    engine.dispose()


RIGHT = {"in order": ["berlin", "new york"], "after 09:00 UTC": ["new york"]}


def seen(mod, session, model):
    return {
        "in order": mod.titles_in_order(session, model),
        "after 09:00 UTC": mod.titles_after(session, model, mod.NINE_UTC),
    }


@pytest.mark.backends("sqlite")
def test_plain_timezone_datetime_on_sqlite_sorts_and_filters_by_local_time(session, example):
    mod = example("sqlite_datetimes")
    assert seen(mod, session, mod.PlainEvent) == {
        "in order": ["new york", "berlin"],  # 05:00 (-05:00) before 10:00 (+02:00)
        "after 09:00 UTC": ["berlin"],  # 10:00 local > 09:00, although it was 08:00 UTC
    }
    stored = session.execute(select(mod.PlainEvent.at).order_by(mod.PlainEvent.id)).scalars()
    assert [at.isoformat() for at in stored] == ["2024-05-01T10:00:00", "2024-05-01T05:00:00"]


def test_utc_datetime_sorts_and_filters_by_the_instant(db, session, example):
    mod = example("sqlite_datetimes")
    assert seen(mod, session, mod.Event) == RIGHT
    if db.name == "postgresql":  # timestamptz already did; the decorator changes nothing
        assert seen(mod, session, mod.PlainEvent) == RIGHT


def test_utc_datetime_reads_back_aware_utc_and_the_same_instants(session, example):
    mod = example("sqlite_datetimes")
    session.expire_all()
    read = list(session.scalars(select(mod.Event.at).order_by(mod.Event.id)))
    assert read == [mod.BERLIN_10AM, mod.NEW_YORK_5AM]  # equal instants
    assert {at.tzinfo for at in read} == {UTC}
    assert [at.hour for at in read] == [8, 10]


def test_utc_datetime_refuses_a_naive_datetime(session, example):
    mod = example("sqlite_datetimes")
    session.add(mod.Event(title="naive", at=mod.NINE_UTC.replace(tzinfo=None)))
    with pytest.raises(exc.StatementError, match="naive datetime"):
        session.flush()
