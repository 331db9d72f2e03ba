"""Annotated types, mixins, soft delete, link object, hybrid, column_property, dataclass."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, exc, inspect, select
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedAsDataclass, mapped_column
from sqlalchemy.schema import CreateTable


@pytest.fixture
def engine(db, example):
    mod = example("mdl_declarative")
    engine = create_engine(db.url)
    mod.Base.metadata.create_all(engine)
    mod.DataBase.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine, example):
    with example("mdl_declarative").SessionLocal(bind=engine) as session:
        yield session


def test_annotated_types_and_mixin_columns(db, engine):
    columns = {c["name"]: c for c in inspect(engine).get_columns("customer")}
    assert columns["name"]["type"].length == 50
    assert columns["name"]["nullable"] is False
    assert columns["deleted_at"]["nullable"] is True
    for name in ("created_at", "updated_at"):
        assert columns[name]["default"] is not None  # server_default from the Annotated column
        if db.name == "postgresql":
            assert columns[name]["type"].timezone is True


def test_without_the_map_str_has_no_length_and_datetime_no_time_zone():
    class Plain(DeclarativeBase):
        pass

    class Row(Plain):
        __tablename__ = "row"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str]
        at: Mapped[datetime]

    with pytest.raises(exc.CompileError, match="VARCHAR requires a length on dialect mysql"):
        CreateTable(Row.__table__).compile(dialect=mysql.dialect())
    ddl = str(CreateTable(Row.__table__).compile(dialect=postgresql.dialect()))
    assert "at TIMESTAMP WITHOUT TIME ZONE" in ddl


def test_mixin_onupdate_survives_the_merge_with_annotated(example):
    column = example("mdl_declarative").Customer.__table__.c.updated_at
    assert column.onupdate is not None and column.server_default is not None


def test_soft_deleted_rows_are_hidden_unless_asked_for(session, example):
    mod = example("mdl_declarative")
    session.add_all([mod.Customer(name="kept"), mod.Customer(name="gone")])
    session.commit()
    gone = session.scalars(select(mod.Customer).where(mod.Customer.name == "gone")).one()
    gone.deleted_at = datetime.now(UTC)
    session.commit()
    assert mod.customer_names(session) == ["kept"]
    assert mod.customer_names(session, include_deleted=True) == ["gone", "kept"]
    assert session.get(mod.Customer, gone.id) is gone  # identity map: get() is not filtered


def test_association_object_keeps_extra_columns(session, example):
    mod = example("mdl_declarative")
    sql = mod.Course(title="SQL")
    ada, bo = mod.Student(name="Ada"), mod.Student(name="Bo")
    ada.enrollments.append(mod.Enrollment(course=sql, grade="A"))
    bo.courses.append(sql)  # association proxy: creates an Enrollment without a grade
    session.add_all([ada, bo])
    session.commit()
    assert mod.grades(session, "SQL") == [("Ada", "A"), ("Bo", None)]
    assert [c.title for c in bo.courses] == ["SQL"]
    assert bo.enrollments[0].enrolled_at is not None


def test_hybrid_works_on_instances_and_in_where(session, example):
    mod = example("mdl_declarative")
    grace = mod.Person(name="Grace", nickname="Amazing")
    ada = mod.Person(name="Ada")
    session.add_all([grace, ada])
    session.commit()
    assert (grace.display_name, ada.display_name) == ("Amazing", "Ada")
    assert mod.people_called(session, "Ada") == [ada.id]
    assert mod.people_called(session, "Grace") == []


def test_hybrid_without_expression_fails_in_sql():
    with pytest.raises(TypeError, match="Boolean value of this clause is not defined"):
        from sqlalchemy import column

        _ = column("nickname") or column("name")


def test_column_property_count_in_one_statement(engine, session, example):
    mod = example("mdl_declarative")
    count_statements = example("eager_loading").count_statements
    for name, books in (("A", 3), ("B", 1), ("C", 0)):
        writer = mod.Writer(name=name)
        session.add(writer)
        session.flush()
        session.add_all(mod.Book(writer_id=writer.id) for _ in range(books))
    session.commit()
    session.expunge_all()
    with count_statements(engine) as statements:
        assert mod.prolific(session, 0) == [("A", 3), ("B", 1)]
    assert len(statements) == 1


def test_dataclass_init_defaults_and_uuid_before_flush(session, example):
    mod = example("mdl_declarative")
    invoice = mod.Invoice("Acme", lines=[mod.InvoiceLine(250), mod.InvoiceLine(amount_cents=750)])
    assert invoice.id is not None and invoice.paid is False
    assert invoice.lines[0].invoice is invoice
    session.add(invoice)
    session.commit()
    assert [line.invoice_id for line in invoice.lines] == [invoice.id, invoice.id]
    assert "Invoice(id=" in repr(invoice)


def test_dataclass_field_order_error():
    class Scratch(MappedAsDataclass, DeclarativeBase):
        pass

    # SQLAlchemy re-raises the dataclasses TypeError as InvalidRequestError (code dcte).
    with pytest.raises(
        exc.InvalidRequestError, match="non-default argument 'name' follows default argument"
    ):

        class Bad(Scratch):
            __tablename__ = "bad"
            id: Mapped[int] = mapped_column(primary_key=True, default=None)
            nickname: Mapped[str | None] = mapped_column(default=None)
            name: Mapped[str]
