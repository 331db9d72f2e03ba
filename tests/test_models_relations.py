"""WriteOnlyMapped (sync and async), single/joined inheritance statement counts, before_flush."""

import asyncio
import gc

import pytest
from sqlalchemy import ForeignKey, create_engine, exc, func, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship


def relations_engine(db, example, foreign_keys: bool = True):
    engine = create_engine(db.url)
    if db.name == "sqlite" and foreign_keys:
        example("sqlite_engine").set_sqlite_pragmas(engine)  # ON DELETE CASCADE needs it
    example("mdl_relations").Base.metadata.create_all(engine)
    return engine


@pytest.fixture
def engine(db, example):
    engine = relations_engine(db, example)
    yield engine
    engine.dispose()


def test_write_only_adds_selects_and_counts_without_loading(engine, example):
    mod = example("mdl_relations")
    count_statements = example("eager_loading").count_statements
    with Session(engine) as session:
        general = mod.Channel(name="general")
        session.add(general)
        session.commit()
        with count_statements(engine) as statements:
            mod.post(session, general, "one", "two", "three")
        assert statements == []  # add() queues, nothing loaded
        session.commit()
        with count_statements(engine) as statements:
            assert mod.message_count(session, general) == 3
            assert mod.latest(session, general, 2) == ["three", "two"]
        assert len(statements) == 3  # refresh of expired general, count, latest
        with pytest.raises(TypeError, match="WriteOnly collections don't support iteration"):
            list(general.messages)


def channel_deleted(engine, mod) -> tuple[int, bool]:
    """Delete a channel with two messages: (messages left, was a dangling channel_id accepted?)"""
    with Session(engine) as session:
        general = mod.Channel(name="general")
        session.add(general)
        session.flush()
        mod.post(session, general, "one", "two")
        session.commit()
        mod.delete_channel(session, general)
        session.commit()
        left = session.scalar(select(func.count(mod.Message.id)))
        session.add(mod.Message(channel_id=999, body="orphan"))
        try:
            session.commit()
        except exc.IntegrityError:
            return left, False
        return left, True


def test_deleting_a_channel_deletes_its_messages_in_the_database(engine, example):
    # passive_deletes=True leaves the messages to ON DELETE CASCADE: on SQLite that needs
    # PRAGMA foreign_keys=ON (the engine fixture sets it), on PostgreSQL nothing.
    assert channel_deleted(engine, example("mdl_relations")) == (0, False)


@pytest.mark.backends("sqlite")
def test_without_foreign_keys_on_sqlite_keeps_the_messages_and_dangling_keys(db, example):
    engine = relations_engine(db, example, foreign_keys=False)
    assert channel_deleted(engine, example("mdl_relations")) == (2, True)
    engine.dispose()


def test_write_only_in_async(db, example):
    mod = example("mdl_relations")

    async def go():
        engine = create_async_engine(db.async_url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(mod.Base.metadata.create_all)
            async with AsyncSession(engine, expire_on_commit=False) as session:
                general = mod.Channel(name="general")
                session.add(general)
                await session.flush()
                general.messages.add_all([mod.Message(body="a"), mod.Message(body="b")])
                await session.commit()
                return (
                    await mod.message_count_async(session, general),
                    await mod.latest_async(session, general, 1),
                )
        finally:
            await engine.dispose()

    assert asyncio.run(go()) == (2, ["b"])


class DynBase(DeclarativeBase):
    pass


class Box(DynBase):
    __tablename__ = "box"
    id: Mapped[int] = mapped_column(primary_key=True)
    items = relationship("Item", lazy="dynamic")


class Item(DynBase):
    __tablename__ = "item"
    id: Mapped[int] = mapped_column(primary_key=True)
    box_id: Mapped[int] = mapped_column(ForeignKey("box.id"))


@pytest.mark.filterwarnings("ignore:coroutine 'Connection.cursor' was never awaited:RuntimeWarning")
def test_lazy_dynamic_fails_in_async(db):
    async def go():
        engine = create_async_engine(db.async_url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(DynBase.metadata.create_all)
            async with AsyncSession(engine) as session:
                box = Box()
                session.add(box)
                await session.flush()
                with pytest.raises(
                    (exc.MissingGreenlet, exc.StatementError), match="greenlet_spawn"
                ):
                    box.items.all()
        finally:
            await engine.dispose()

    asyncio.run(go())
    gc.collect()


def seed_people(session, mod, engineers: int) -> None:
    session.add_all(mod.Engineer(name=f"e{i}", language=f"lang{i}") for i in range(engineers))
    session.add(mod.Manager(name="m", reports=engineers))
    session.add_all([mod.Car(name="Mini", seats=4), mod.Truck(name="Actros", payload_kg=18000)])
    session.commit()
    session.expunge_all()


def test_polymorphic_statement_counts(engine, example):
    mod = example("mdl_relations")
    count_statements = example("eager_loading").count_statements
    with Session(engine) as session:
        seed_people(session, mod, engineers=4)
        with count_statements(engine) as single:
            assert mod.vehicle_kinds(session) == ["Car", "Truck"]
        session.expunge_all()
        with count_statements(engine) as lazy:
            assert mod.skills_lazy(session) == [f"lang{i}" for i in range(4)]
        session.expunge_all()
        with count_statements(engine) as joined:
            assert mod.skills_joined(session) == [f"lang{i}" for i in range(4)]
    assert (len(single), len(lazy), len(joined)) == (1, 1 + 4, 1)


def test_single_table_subclass_columns_are_nullable(example):
    table = example("mdl_relations").Vehicle.__table__
    assert table.c.seats.nullable and table.c.payload_kg.nullable

    class Scratch(DeclarativeBase):
        pass

    class Thing(Scratch):
        __tablename__ = "thing"
        id: Mapped[int] = mapped_column(primary_key=True)
        kind: Mapped[str]
        __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "thing"}

    class Widget(Thing):
        size: Mapped[int]  # not Optional: NOT NULL in the shared table
        __mapper_args__ = {"polymorphic_identity": "widget"}

    assert Thing.__table__.c.size.nullable is False


def test_before_flush_stamps_and_validates(engine, example):
    mod = example("mdl_relations")
    with mod.AuditedSession(bind=engine, info={"user": "alice"}) as session:
        car = mod.Car(name="Mini", seats=4)
        session.add(car)
        session.commit()
        assert car.changed_by == "alice"
        session.info["user"] = "bob"
        car.seats = 5
        session.commit()
        assert session.scalar(select(mod.Vehicle.changed_by)) == "bob"
        session.add(mod.Car(name="Broken", seats=0))
        with pytest.raises(ValueError, match="needs at least one seat"):
            session.commit()
        session.rollback()
        assert session.scalars(select(mod.Vehicle.name)).all() == ["Mini"]
    with Session(engine) as plain:  # the listener is on AuditedSession only
        plain.add(mod.Truck(name="Unstamped"))
        plain.commit()
        assert (
            plain.scalar(select(mod.Vehicle.changed_by).where(mod.Vehicle.name == "Unstamped"))
            is None
        )
