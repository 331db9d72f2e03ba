"""json-mutation: set_preference() must save one key of a JSON dict column, keeping the others."""

from __future__ import annotations

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session


def stored(engine, prefs, user_id):
    with Session(engine) as session:  # a fresh session: what the database holds
        return session.scalar(select(prefs.User.preferences).where(prefs.User.id == user_id))


def test_set_preference_is_saved_and_keeps_other_keys(db, solution):
    prefs = solution("prefs")
    engine = create_engine(db.url)
    try:
        prefs.Base.metadata.create_all(engine)
        with Session(engine) as session:
            start = {"theme": "light", "lang": "en"}
            alice = prefs.User(email="alice@example.com", preferences=start)
            bob = prefs.User(email="bob@example.com", preferences={})
            session.add_all([alice, bob])
            session.commit()
            alice_id, bob_id = alice.id, bob.id

        prefs.set_preference(engine, alice_id, "theme", "dark")
        assert stored(engine, prefs, alice_id) == {"theme": "dark", "lang": "en"}

        prefs.set_preference(engine, alice_id, "page_size", 50)
        prefs.set_preference(engine, bob_id, "alerts", {"email": True})
        assert stored(engine, prefs, alice_id) == {"theme": "dark", "lang": "en", "page_size": 50}
        assert stored(engine, prefs, bob_id) == {"alerts": {"email": True}}
    finally:
        engine.dispose()
