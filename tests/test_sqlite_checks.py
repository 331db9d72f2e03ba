"""What SQLite accepts that PostgreSQL refuses, with and without PRAGMA foreign_keys=ON."""

import asyncio

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, exc, insert
from sqlalchemy.ext.asyncio import create_async_engine

NOTHING_CHECKED = {
    "a key to a missing folder": True,
    "1000 characters in String(10)": True,
    "'many' in an integer column": True,
}


@pytest.fixture
def checks(example):
    return example("sqlite_checks")


def engine_for(db, checks, pragmas: bool):
    engine = create_engine(db.url)
    if pragmas:
        checks.set_sqlite_pragmas(engine)
    return engine


@pytest.mark.backends("sqlite")
def test_sqlite_as_created_checks_nothing_and_cascades_nothing(db, checks):
    engine = engine_for(db, checks, pragmas=False)
    assert checks.what_the_database_accepts(engine) == NOTHING_CHECKED
    assert checks.notes_left_after_deleting_their_folder(engine) == 2  # ON DELETE CASCADE ignored
    engine.dispose()


@pytest.mark.backends("sqlite")
def test_with_the_pragma_sqlite_checks_foreign_keys_and_cascades_but_not_lengths_or_types(
    db, checks
):
    engine = engine_for(db, checks, pragmas=True)
    assert checks.what_the_database_accepts(engine) == {
        **NOTHING_CHECKED,
        "a key to a missing folder": False,
    }
    assert checks.notes_left_after_deleting_their_folder(engine) == 0
    engine.dispose()


@pytest.mark.backends("postgresql")
def test_postgresql_refuses_all_three_and_cascades_without_a_hook(db, checks):
    engine = engine_for(db, checks, pragmas=False)
    assert checks.what_the_database_accepts(engine) == dict.fromkeys(NOTHING_CHECKED, False)
    assert checks.notes_left_after_deleting_their_folder(engine) == 0
    engine.dispose()


@pytest.mark.backends("sqlite")
def test_the_pragma_hook_enforces_foreign_keys_on_aiosqlite_too(db, checks):
    async def dangling_key_error():
        engine = create_async_engine(db.async_url)
        checks.set_sqlite_pragmas(engine.sync_engine)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(checks.Base.metadata.create_all)
            async with engine.begin() as conn:
                await conn.execute(insert(checks.Note), {"folder_id": 9, "title": "x", "pages": 1})
        except exc.IntegrityError as error:
            return str(error.orig)
        finally:
            await engine.dispose()
        return None

    assert asyncio.run(dangling_key_error()) == "FOREIGN KEY constraint failed"


@pytest.mark.backends("sqlite")
def test_strict_tables_refuse_the_varchar_sqlalchemy_renders(db, checks):
    # STRICT would check types, but allows only INT, INTEGER, REAL, TEXT, BLOB and ANY.
    table = Table(
        "strict_note",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("title", String(10)),
        sqlite_strict=True,
    )
    engine = create_engine(db.url)
    with pytest.raises(exc.OperationalError, match="unknown datatype for strict_note.title"):
        table.create(engine)
    engine.dispose()
