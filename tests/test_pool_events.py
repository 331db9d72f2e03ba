import logging

import pytest
from sqlalchemy import create_engine, text


@pytest.fixture
def engine(db):
    engine = create_engine(db.url)
    yield engine
    engine.dispose()


def test_checkout_log_counts_one_connect_and_a_checkout_per_use(engine, example):
    checkouts = example("pool_events").CheckoutLog(engine)
    for _ in range(3):
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    assert checkouts.counts == {"connect": 1, "checkout": 3, "checkin": 3}


def test_checkout_log_sees_a_second_connection_when_two_are_held(engine, example):
    checkouts = example("pool_events").CheckoutLog(engine)
    with engine.connect() as first, engine.connect() as second:
        first.execute(text("select 1"))
        second.execute(text("select 1"))
        assert checkouts.counts == {"connect": 2, "checkout": 2}
    assert checkouts.counts["checkin"] == 2


def test_checkin_logs_how_long_the_connection_was_held(engine, example, caplog):
    example("pool_events").CheckoutLog(engine)
    with caplog.at_level(logging.DEBUG, logger="myapp.pool"):
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    assert [r.getMessage().startswith("connection held ") for r in caplog.records] == [True]


def test_labels_survive_checkins_and_new_connections_get_the_next_serial(engine, example):
    example("pool_events").label_connections(engine)
    with engine.connect() as conn:
        assert conn.info["serial"] == 1
    with engine.connect() as first, engine.connect() as second:
        assert {first.info["serial"], second.info["serial"]} == {1, 2}


def test_main_counts_events(db, example):
    assert example("pool_events").main(db.url) == {"connect": 1, "checkout": 3, "checkin": 3}
