import pytest
from sqlalchemy import JSON, bindparam, create_engine, inspect, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DataError, ProgrammingError, SADeprecationWarning
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


@pytest.fixture
def engine(db):
    engine = create_engine(db.url)
    yield engine
    engine.dispose()


@pytest.fixture
def gadgets(engine, example):
    queries = example("jsondoc_queries")
    queries.Base.metadata.create_all(engine)
    with Session(engine) as session:
        queries.seed(session)
        yield session


# ---- portable JSON: sqlite and postgresql -----------------------------------------------


def test_json_column_is_jsonb_on_postgresql_only(db, engine, example):
    example("jsondoc_queries").Base.metadata.create_all(engine)
    column_type = {c["name"]: c["type"] for c in inspect(engine).get_columns("gadget")}["specs"]
    assert isinstance(column_type, JSON)
    assert isinstance(column_type, JSONB) is (db.name == "postgresql")


def test_values_compare_as_string_integer_boolean(gadgets, example):
    queries = example("jsondoc_queries")
    assert queries.names_by_color(gadgets, "red") == ["lamp", "radio"]
    assert queries.names_by_color(gadgets, "blue") == []
    assert queries.names_heavier_than(gadgets, 500) == ["lamp", "radio"]
    assert queries.names_heavier_than(gadgets, 1000) == ["radio"]
    assert queries.wireless_names(gadgets) == ["phone", "radio"]


def test_paths_reach_nested_values(gadgets, example):
    queries = example("jsondoc_queries")
    assert queries.names_wider_than(gadgets, 10) == ["lamp", "radio"]
    assert queries.names_wider_than(gadgets, 25) == ["radio"]
    assert queries.widths(gadgets) == {"lamp": 20, "phone": 7, "radio": 30}


def test_queries_main(db, example):
    result = example("jsondoc_queries").main(db.url)
    assert result["red"] == ["lamp", "radio"]
    assert result["widths"] == {"lamp": 20, "phone": 7, "radio": 30}


# ---- mutation tracking -------------------------------------------------------------------


@pytest.fixture
def mutation(engine, example):
    module = example("jsondoc_mutation")
    module.Base.metadata.create_all(engine)
    return module


def test_in_place_change_of_plain_json_is_lost(engine, mutation):
    row_id = mutation.create(engine, mutation.PlainSettings)
    mutation.set_theme_in_place(engine, mutation.PlainSettings, row_id, "dark")
    assert mutation.reload(engine, mutation.PlainSettings, row_id)["theme"] == "light"


def test_in_place_change_of_mutable_dict_is_saved(engine, mutation):
    row_id = mutation.create(engine, mutation.TrackedSettings)
    mutation.set_theme_in_place(engine, mutation.TrackedSettings, row_id, "dark")
    assert mutation.reload(engine, mutation.TrackedSettings, row_id)["theme"] == "dark"


def test_mutable_dict_does_not_see_nested_changes(engine, mutation):
    row_id = mutation.create(engine, mutation.TrackedSettings)
    mutation.set_nested_in_place(engine, mutation.TrackedSettings, row_id, False)
    prefs = mutation.reload(engine, mutation.TrackedSettings, row_id)
    assert prefs["alerts"] == {"email": True}


@pytest.mark.parametrize("model_name", ["PlainSettings", "TrackedSettings"])
def test_flag_modified_and_reassignment_always_save(engine, mutation, model_name):
    model = getattr(mutation, model_name)
    row_id = mutation.create(engine, model)
    mutation.set_nested_flagged(engine, model, row_id, False)
    mutation.set_theme_by_assignment(engine, model, row_id, "dark")
    assert mutation.reload(engine, model, row_id) == {"theme": "dark", "alerts": {"email": False}}


@pytest.mark.parametrize("model_name", ["PlainSettings", "TrackedSettings"])
def test_a_shallow_copy_loses_a_nested_edit_and_a_deep_copy_saves_it(engine, mutation, model_name):
    """{**row.prefs} shares the inner dicts with the loaded value: editing one edits both, the
    new value equals the old one, and no UPDATE is sent."""
    model = getattr(mutation, model_name)
    row_id = mutation.create(engine, model)
    mutation.set_nested_by_shallow_copy(engine, model, row_id, False)
    assert mutation.reload(engine, model, row_id)["alerts"] == {"email": True}  # lost
    mutation.set_nested_by_deep_copy(engine, model, row_id, False)
    assert mutation.reload(engine, model, row_id)["alerts"] == {"email": False}


def test_as_mutable_on_a_shared_type_object_makes_every_such_column_mutable(engine):
    shared = JSON()

    class Base(DeclarativeBase):
        pass

    class Tracked(Base):
        __tablename__ = "tracked"
        id: Mapped[int] = mapped_column(primary_key=True)
        prefs: Mapped[dict] = mapped_column(MutableDict.as_mutable(shared))

    class MeantToBePlain(Base):
        __tablename__ = "meant_plain"
        id: Mapped[int] = mapped_column(primary_key=True)
        prefs: Mapped[dict] = mapped_column(shared)  # the same type object

    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(MeantToBePlain(id=1, prefs={"theme": "light"}))
        session.commit()
        assert isinstance(session.get(MeantToBePlain, 1).prefs, MutableDict)


def test_none_is_json_null_by_default_and_sql_null_with_none_as_null(engine, example):
    nulls = example("jsondoc_nulls")
    nulls.Base.metadata.create_all(engine)
    reading = nulls.Reading
    with Session(engine) as session:
        nulls.seed(session)
        # what the database holds, asked in SQL: (id, extra IS NULL, note IS NULL)
        stored = session.execute(
            text("select id, extra is null, note is null from reading order by id")
        ).all()
        assert [tuple(map(bool, row[1:])) for row in stored] == [
            (False, True),  # None: JSON null by default, SQL NULL with none_as_null
            (True, True),  # never set
            (True, False),  # null() and JSON.NULL
            (False, False),
        ]
        assert nulls.ids_where_sql_null(session, reading.extra) == [2, 3]
        assert nulls.ids_where_json_null(session, reading.extra) == [1]
        assert nulls.ids_where_sql_null(session, reading.note) == [1, 2]
        assert nulls.ids_where_json_null(session, reading.note) == [3]
        session.expunge_all()
        loaded = session.scalars(select(reading).where(reading.id < 4).order_by(reading.id))
        assert [(r.extra, r.note) for r in loaded] == [(None, None)] * 3  # Python can't tell


def test_mutation_main(db, example):
    assert example("jsondoc_mutation").main(db.url) == {
        "PlainSettings": "light",
        "TrackedSettings": "dark",
    }


# ---- PostgreSQL only: JSONB operators, GIN, json = json -------------------------------


@pytest.fixture
def events(engine, example):
    pg = example("jsondoc_postgres")
    pg.Base.metadata.create_all(engine)
    example("jsondoc_queries").Base.metadata.create_all(engine)
    with Session(engine) as session:
        pg.seed_events(session)
        example("jsondoc_queries").seed(session)
        yield session


@pytest.mark.backends("postgresql")
def test_contains_matches_nested_fragments(events, example):
    pg = example("jsondoc_postgres")
    assert pg.kinds_containing(events, {"user": {"plan": "pro"}}) == ["signup", "upgrade"]
    assert pg.kinds_containing(events, {"user": {"id": 2, "plan": "pro"}}) == ["upgrade"]
    assert pg.kinds_containing(events, {"tags": ["web"]}) == ["signup"]
    assert pg.kinds_containing(events, {"user": {"plan": "gold"}}) == []


@pytest.mark.backends("postgresql")
def test_type_coerce_gives_a_variant_column_jsonb_operators(events, example):
    pg = example("jsondoc_postgres")
    assert pg.gadgets_containing(events, {"color": "red"}) == ["lamp", "radio"]
    assert pg.gadgets_containing(events, {"size": {"width": 7}}) == ["phone"]


@pytest.mark.backends("postgresql")
def test_gin_index_exists_and_serves_containment(engine, events):
    with engine.connect() as conn:
        indexdef = conn.scalar(
            text("select indexdef from pg_indexes where indexname = 'ix_event_payload'")
        )
    assert indexdef is not None
    assert "USING gin (payload jsonb_path_ops)" in indexdef
    events.execute(text("SET LOCAL enable_seqscan = off"))  # too few rows to need an index
    explain = text("EXPLAIN SELECT id FROM event WHERE payload @> :fragment").bindparams(
        bindparam("fragment", {"user": {"plan": "pro"}}, type_=JSONB)
    )
    plan = "\n".join(events.scalars(explain))
    assert "ix_event_payload" in plan


@pytest.mark.backends("postgresql")
def test_plain_json_equality_fails_on_postgresql(events, example):
    pg = example("jsondoc_postgres")
    with pytest.raises(ProgrammingError, match="operator does not exist: json = json"):
        pg.legacy_ids_equal_to(events, {"status": "open"})
    events.rollback()
    unextracted = select(pg.LegacyDoc.id).where(pg.LegacyDoc.body["status"] == "open")
    with pytest.raises(ProgrammingError, match="operator does not exist: json = "):
        events.execute(unextracted)  # an element is json too, without .as_string()
    events.rollback()
    assert pg.legacy_ids_with_status(events, "open") == [1]
    assert pg.legacy_ids_with_status(events, "closed") == []


@pytest.mark.backends("postgresql")
def test_jsonb_equality_works(events, example):
    gadget = example("jsondoc_queries").Gadget
    lamp = example("jsondoc_queries").GADGETS["lamp"]
    assert events.scalars(select(gadget.name).where(gadget.specs == lamp)).all() == ["lamp"]


@pytest.mark.backends("postgresql")
def test_postgres_main(db, example):
    assert example("jsondoc_postgres").main(db.url) == {
        "pro users": ["signup", "upgrade"],
        "tagged app": ["signup", "upgrade"],
        "red gadgets": ["lamp", "radio"],
        "open legacy docs": [1],
    }


@pytest.mark.sqlalchemy("2.1", reason="2.0 gives no warning; tests/test_versions.py covers both")
@pytest.mark.backends("postgresql")
def test_contains_on_a_variant_column_without_type_coerce_is_not_containment(events, example):
    gadget = example("jsondoc_queries").Gadget
    with pytest.warns(SADeprecationWarning, match="contains_op"):
        like = gadget.specs.contains({"color": "red"})  # JSON's operators: a LIKE, not @>
    assert " LIKE " in str(like.compile(dialect=events.get_bind().dialect))
    with pytest.raises(DataError, match="invalid input syntax for type json"):
        events.execute(select(gadget.id).where(like))
