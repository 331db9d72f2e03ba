"""Enum columns store names unless values_callable; the PostgreSQL enum type in migrations."""

import pytest
from sqlalchemy import create_engine, exc, select, text
from sqlalchemy.orm import Session


@pytest.fixture
def session(db, example):
    enums = example("mdl_enums")
    engine = create_engine(db.url)
    enums.Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def test_enum_stores_names_unless_values_callable(session, example):
    assert example("mdl_enums").stored_labels(session) == {"account": "ACTIVE", "member": "active"}


def test_a_value_where_a_name_is_expected(db, session, example):
    enums = example("mdl_enums")
    if db.name == "postgresql":
        with pytest.raises(
            exc.DataError, match='invalid input value for enum account_status: "active"'
        ):
            session.execute(text("INSERT INTO account (status) VALUES ('active')"))
    else:  # VARCHAR without CHECK: the row goes in, and loading it fails
        session.execute(text("INSERT INTO account (status) VALUES ('active')"))
        with pytest.raises(LookupError, match="'active' is not among the defined enum values"):
            session.scalars(select(enums.Account)).all()


@pytest.mark.backends("postgresql")
def test_enum_type_life_cycle_in_migrations(db, example):
    enums = example("mdl_enums")
    enums.migrate(db.url, enums.upgrade_create_table)
    assert enums.enum_types(db.url) == ["plan"]
    with pytest.raises(exc.ProgrammingError, match='type "role" does not exist'):
        enums.migrate(db.url, enums.add_column_without_create)
    enums.migrate(db.url, enums.upgrade_add_column)
    assert enums.enum_types(db.url) == ["plan", "role"]
    enums.migrate(db.url, enums.downgrade_drop_column)
    enums.migrate(db.url, enums.downgrade_drop_table)
    assert enums.enum_types(db.url) == []
    enums.migrate(db.url, enums.upgrade_create_table)  # upgrade again after the downgrade


@pytest.mark.backends("postgresql")
def test_drop_table_alone_leaves_the_type_and_the_next_upgrade_fails(db, example):
    enums = example("mdl_enums")
    enums.migrate(db.url, enums.upgrade_create_table)
    enums.migrate(db.url, lambda: enums.op.drop_table("subscription"))
    assert enums.enum_types(db.url) == ["plan"]
    with pytest.raises(exc.ProgrammingError, match='type "plan" already exists'):
        enums.migrate(db.url, enums.upgrade_create_table)
