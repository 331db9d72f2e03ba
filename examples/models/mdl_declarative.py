"""Declarative building blocks: Annotated types and type_annotation_map, timestamp and
soft-delete mixins, an association object, hybrid_property, a column_property count,
MappedAsDataclass.

Backends: sqlite, postgresql
Run: python examples/models/mdl_declarative.py [DATABASE_URL]
"""
# lint: ignore-file[NC001]  (naming conventions: see migr_models.py)

from __future__ import annotations

import sys

# region: imports
import uuid
from datetime import datetime
from typing import Annotated

from sqlalchemy import (
    ColumnElement,
    DateTime,
    ForeignKey,
    String,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.ext.associationproxy import AssociationProxy, association_proxy
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    MappedAsDataclass,
    ORMExecuteState,
    Session,
    column_property,
    mapped_column,
    relationship,
    sessionmaker,
    with_loader_criteria,
)

# endregion


# region: annotated
str50 = Annotated[str, 50]  # a marker; the map below turns it into String(50)
# An Annotated type can carry a whole mapped_column(): type, default, index, ...
timestamp = Annotated[datetime, mapped_column(server_default=func.now())]


class Base(DeclarativeBase):
    type_annotation_map = {
        str50: String(50),
        # Every Mapped[datetime] becomes timestamptz on PostgreSQL (plain DateTime is naive).
        datetime: DateTime(timezone=True),
    }


# endregion


# region: mixins
class TimestampMixin:
    # Columns on a mixin are copied into every class that inherits it.
    created_at: Mapped[timestamp]
    updated_at: Mapped[timestamp] = mapped_column(onupdate=func.now())  # merged with timestamp


class SoftDeleteMixin:
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)


class Customer(TimestampMixin, SoftDeleteMixin, Base):
    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str50]


# endregion


# region: soft-delete-filter
SessionLocal = sessionmaker()  # bind per use: SessionLocal(bind=engine)


@event.listens_for(SessionLocal, "do_orm_execute")
def _hide_soft_deleted(state: ORMExecuteState) -> None:
    # Adds "deleted_at IS NULL" for every SoftDeleteMixin class in every ORM SELECT,
    # including relationship and joined loads. Opt out per query with include_deleted=True.
    if state.is_select and not state.execution_options.get("include_deleted", False):
        state.statement = state.statement.options(
            with_loader_criteria(
                SoftDeleteMixin, lambda cls: cls.deleted_at.is_(None), include_aliases=True
            )
        )


# endregion


def customer_names(session: Session, include_deleted: bool = False) -> list[str]:
    stmt = select(Customer.name).order_by(Customer.name)
    stmt = stmt.execution_options(include_deleted=include_deleted)
    return list(session.scalars(stmt))


# region: association-object
class Enrollment(Base):
    # The link table as a class: its extra columns (grade, enrolled_at) are readable and
    # writable, which a relationship(secondary=...) table never is.
    __tablename__ = "enrollment"

    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), primary_key=True, index=True)
    grade: Mapped[str | None] = mapped_column(String(2))
    enrolled_at: Mapped[timestamp]

    student: Mapped[Student] = relationship(back_populates="enrollments")
    course: Mapped[Course] = relationship(back_populates="enrollments")


class Student(Base):
    __tablename__ = "student"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str50]
    enrollments: Mapped[list[Enrollment]] = relationship(
        back_populates="student", cascade="all, delete-orphan"
    )
    # Optional shortcut over the links: student.courses.append(c) creates the Enrollment.
    courses: AssociationProxy[list[Course]] = association_proxy(
        "enrollments", "course", creator=lambda course: Enrollment(course=course)
    )


class Course(Base):
    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str50]
    enrollments: Mapped[list[Enrollment]] = relationship(back_populates="course")


# endregion


# region: association-query
def grades(session: Session, course_title: str) -> list[tuple[str, str | None]]:
    stmt = (
        select(Student.name, Enrollment.grade)
        .join(Student.enrollments)
        .join(Enrollment.course)
        .where(Course.title == course_title)
        .order_by(Student.name)
    )
    return [(name, grade) for name, grade in session.execute(stmt)]


# endregion


# region: hybrid
class Person(Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str50]
    nickname: Mapped[str50 | None]

    @hybrid_property
    def display_name(self) -> str:
        # Runs on instances. On the class, "or" would raise:
        # TypeError: Boolean value of this clause is not defined
        return self.nickname or self.name

    @display_name.inplace.expression
    @classmethod
    def _display_name_sql(cls) -> ColumnElement[str]:
        return func.coalesce(cls.nickname, cls.name)  # the same rule, in SQL


def people_called(session: Session, shown: str) -> list[int]:
    stmt = select(Person.id).where(Person.display_name == shown).order_by(Person.id)
    return list(session.scalars(stmt))


# endregion


# region: column-property
class Book(Base):  # defined first: Writer's column_property below refers to it
    __tablename__ = "book"

    id: Mapped[int] = mapped_column(primary_key=True)
    writer_id: Mapped[int] = mapped_column(ForeignKey("writer.id"), index=True)


class Writer(Base):
    __tablename__ = "writer"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str50]
    # A correlated subquery in every SELECT of Writer: no extra statement per row.
    # deferred=True would leave it out and run one SELECT per object on first access.
    book_count: Mapped[int] = column_property(
        select(func.count(Book.id))
        .where(Book.writer_id == id)
        .correlate_except(Book)
        .scalar_subquery()
    )


def prolific(session: Session, more_than: int) -> list[tuple[str, int]]:
    stmt = select(Writer).where(Writer.book_count > more_than).order_by(Writer.name)
    return [(w.name, w.book_count) for w in session.scalars(stmt)]


# endregion


# region: dataclass
class DataBase(MappedAsDataclass, DeclarativeBase):
    pass


class Invoice(DataBase):
    __tablename__ = "invoice"

    # default_factory runs in __init__: the id exists before any flush.
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, init=False, default_factory=uuid.uuid4)
    customer: Mapped[str] = mapped_column(String(50))
    # An __init__ field without a default after one with a default fails at import:
    # TypeError: non-default argument 'x' follows default argument (or give it kw_only=True)
    paid: Mapped[bool] = mapped_column(default=False)
    lines: Mapped[list[InvoiceLine]] = relationship(default_factory=list, back_populates="invoice")


class InvoiceLine(DataBase):
    __tablename__ = "invoice_line"

    id: Mapped[int] = mapped_column(primary_key=True, init=False)  # set by the database
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoice.id"), index=True, init=False)
    amount_cents: Mapped[int]
    invoice: Mapped[Invoice | None] = relationship(default=None, back_populates="lines")


# endregion


def main(url: str = "sqlite://") -> dict[str, object]:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    DataBase.metadata.create_all(engine)
    with SessionLocal(bind=engine) as session:
        ada = Student(name="Ada")
        ada.courses.append(Course(title="Databases"))
        session.add_all([ada, Person(name="Grace", nickname="Amazing")])
        session.add(Invoice(customer="Acme", lines=[InvoiceLine(amount_cents=500)]))
        session.commit()
        result = {
            "grades": grades(session, "Databases"),
            "people": people_called(session, "Amazing"),
        }
    print(result)
    engine.dispose()
    return result


if __name__ == "__main__":
    main(*sys.argv[1:2])
