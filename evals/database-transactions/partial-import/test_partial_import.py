"""partial-import: duplicates are skipped, every other row is kept; a failure keeps nothing.

On SQLite, savepoints without the BEGIN recipe commit each released row at once: the
all-or-nothing test then finds rows from an import that raised.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session


def customers(engine, importer):
    with Session(engine) as session:
        rows = session.execute(select(importer.Customer.email, importer.Customer.name))
        return dict(rows.all())


def seeded(db, importer):
    engine = importer.make_engine(db.url)
    importer.Base.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        session.add(importer.Customer(email="ann@example.com", name="Ann"))
    return engine


def test_duplicates_are_skipped_and_the_other_rows_kept(db, solution):
    importer = solution("importer")
    engine = seeded(db, importer)
    try:
        rows = [
            {"email": "bob@example.com", "name": "Bob"},
            {"email": "ann@example.com", "name": "Ann again"},  # already in the table
            {"email": "cy@example.com", "name": "Cy"},
            {"email": "bob@example.com", "name": "Bob again"},  # earlier in this batch
            {"email": "dee@example.com", "name": "Dee"},
        ]
        assert importer.import_rows(engine, rows) == 3
        assert customers(engine, importer) == {
            "ann@example.com": "Ann",
            "bob@example.com": "Bob",
            "cy@example.com": "Cy",
            "dee@example.com": "Dee",
        }
        assert importer.import_rows(engine, iter([{"email": "eve@example.com", "name": "E"}])) == 1
    finally:
        engine.dispose()


def test_an_import_that_fails_midway_keeps_nothing(db, solution):
    importer = solution("importer")
    engine = seeded(db, importer)

    def broken_file():  # the CSV reader fails on line 4
        yield {"email": "bob@example.com", "name": "Bob"}
        yield {"email": "ann@example.com", "name": "Ann again"}
        yield {"email": "cy@example.com", "name": "Cy"}
        raise ValueError("line 4: unterminated quote")

    try:
        with pytest.raises(ValueError, match="unterminated quote"):
            importer.import_rows(engine, broken_file())
        assert customers(engine, importer) == {"ann@example.com": "Ann"}
    finally:
        engine.dispose()
