import asyncio

import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    insert,
    select,
)
from sqlalchemy.exc import DBAPIError, UnsupportedCompilationError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import DeclarativeBase, Session

THREE = pytest.mark.backends("sqlite", "postgresql", "mariadb")
DIALECT_SUFFIX = {"sqlite": "sqlite", "postgresql": "postgresql", "mariadb": "mysql"}


@pytest.fixture
def engine(db, example):
    engine = create_engine(db.url)
    example("upsert_dialects").metadata.create_all(engine)
    yield engine
    engine.dispose()


def writers(example, backend: str, style: str):
    """(upsert, insert_missing) for this backend: its own construct, or the generic helper."""
    ups = example("upsert_dialects")
    if style == "helper":
        return (
            lambda conn, rows: ups.upsert(conn, ups.product, rows, key=["sku"]),
            lambda conn, rows: ups.upsert(conn, ups.product, rows, ["sku"], "nothing"),
        )
    suffix = DIALECT_SUFFIX[backend]
    return getattr(ups, f"upsert_{suffix}"), getattr(ups, f"insert_missing_{suffix}")


def row(sku: str, name: str, price: int) -> dict:
    return {"sku": sku, "name": name, "price": price}


@THREE
@pytest.mark.parametrize("style", ["dialect", "helper"])
def test_second_upsert_of_a_key_updates_the_row(db, engine, example, style):
    upsert, _ = writers(example, db.name, style)
    with engine.begin() as conn:
        upsert(conn, [row("A1", "mug", 8)])
        upsert(conn, [row("A1", "mug", 9)])
    with engine.connect() as conn:
        assert example("upsert_dialects").all_products(conn) == [("A1", "mug", 9)]


@THREE
@pytest.mark.parametrize("style", ["dialect", "helper"])
def test_do_nothing_keeps_the_first_value(db, engine, example, style):
    _, insert_missing = writers(example, db.name, style)
    with engine.begin() as conn:
        insert_missing(conn, [row("A1", "mug", 8)])
        insert_missing(conn, [row("A1", "cup", 99), row("B2", "plate", 15)])
    with engine.connect() as conn:
        products = example("upsert_dialects").all_products(conn)
    assert products == [("A1", "mug", 8), ("B2", "plate", 15)]


@THREE
@pytest.mark.parametrize("style", ["dialect", "helper"])
def test_bulk_upsert_of_new_and_existing_keys_is_one_statement(db, engine, example, style):
    upsert, _ = writers(example, db.name, style)
    with engine.begin() as conn:
        upsert(conn, [row(f"K{i}", f"old {i}", i) for i in range(3)])
    calls = []

    def record(conn, cursor, statement, parameters, context, executemany):
        calls.append((statement, executemany))

    mixed = [row(f"K{i}", f"new {i}", 100 + i) for i in range(1, 6)]  # K1, K2 exist
    event.listen(engine, "before_cursor_execute", record)
    try:
        with engine.begin() as conn:
            upsert(conn, mixed)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    upserts = [(sql, many) for sql, many in calls if sql.lstrip().upper().startswith("INSERT")]
    assert len(calls) == 1 and len(upserts) == 1, calls  # one INSERT for all five rows
    assert upserts[0][1] is False  # one execute(), not an executemany() in disguise
    with engine.connect() as conn:
        products = example("upsert_dialects").all_products(conn)
    assert products == [("K0", "old 0", 0)] + [(f"K{i}", f"new {i}", 100 + i) for i in range(1, 6)]


DUPLICATED = [row("A1", "mug", 8), row("B2", "plate", 15), row("A1", "big mug", 12)]


@THREE
def test_a_key_twice_in_one_statement(db, engine, example):
    """PostgreSQL refuses it; SQLite and MariaDB apply the rows in order: the last one wins."""
    ups = example("upsert_dialects")
    upsert, _ = writers(example, db.name, "dialect")
    if db.name == "postgresql":
        with (
            pytest.raises(DBAPIError, match="cannot affect row a second time"),
            engine.begin() as conn,
        ):
            upsert(conn, DUPLICATED)
    else:
        with engine.begin() as conn:
            upsert(conn, DUPLICATED)
            assert ups.all_products(conn) == [("A1", "big mug", 12), ("B2", "plate", 15)]


@THREE
@pytest.mark.parametrize("helper", ["upsert", "upsert_in_chunks"])
def test_helpers_keep_the_last_row_of_a_key_on_every_backend(engine, example, helper):
    ups = example("upsert_dialects")
    sent = []
    record = lambda conn, cursor, sql, params, context, many: sent.append(len(params))  # noqa: E731
    event.listen(engine, "before_cursor_execute", record)
    try:
        with engine.begin() as conn:
            getattr(ups, helper)(conn, ups.product, DUPLICATED, key=["sku"])
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert sent == [6]  # deduplicated before sending: 2 rows x 3 columns, not 3 rows
    with engine.begin() as conn:
        assert ups.all_products(conn) == [("A1", "big mug", 12), ("B2", "plate", 15)]
        getattr(ups, helper)(conn, ups.product, DUPLICATED + [row("C3", "bowl", 5)], ["sku"])
        assert len(ups.all_products(conn)) == 3


@THREE
def test_helper_accepts_an_orm_session(engine, example):
    ups = example("upsert_dialects")
    with Session(engine) as session:
        ups.upsert(session, ups.product, [row("A1", "mug", 8)], key=["sku"])
        ups.upsert(session, ups.product, [row("A1", "mug", 9)], key=["sku"])
        session.commit()
    with engine.connect() as conn:
        assert ups.all_products(conn) == [("A1", "mug", 9)]


@THREE
def test_another_dialects_construct_does_not_compile(db, engine, example):
    ups = example("upsert_dialects")
    foreign = ups.upsert_sqlite if db.name == "mariadb" else ups.upsert_mysql
    with engine.begin() as conn, pytest.raises(UnsupportedCompilationError):
        foreign(conn, [row("A1", "mug", 8)])


@THREE
def test_conflict_key_needs_a_unique_index(db, engine, example):
    ups = example("upsert_dialects")
    loose = Table(
        "loose",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("code", String(10)),  # no unique constraint
        Column("qty", Integer),
    )
    loose.create(engine)
    first, second = [{"code": "x", "qty": 1}], [{"code": "x", "qty": 2}]
    if db.name == "mariadb":
        # No conflict target on MySQL/MariaDB: nothing clashes, so a duplicate goes in.
        with engine.begin() as conn:
            ups.upsert(conn, loose, first, key=["code"])
            ups.upsert(conn, loose, second, key=["code"])
            assert conn.scalars(select(loose.c.qty).order_by(loose.c.id)).all() == [1, 2]
    else:
        # Rejected even on an empty table: the conflict target must match a unique index.
        with pytest.raises(DBAPIError, match="(?i)constraint"), engine.begin() as conn:
            ups.upsert(conn, loose, first, key=["code"])


@THREE
def test_upsert_does_not_refresh_objects_already_in_the_session(engine, example):
    ups = example("upsert_dialects")

    class Base(DeclarativeBase):
        pass

    class Product(Base):
        __table__ = ups.product

    with Session(engine) as session:
        ups.upsert(session, ups.product, [row("A1", "mug", 8)], key=["sku"])
        mug = session.get(Product, "A1")
        ups.upsert(session, ups.product, [row("A1", "mug", 9)], key=["sku"])
        assert session.get(Product, "A1").price == 8  # identity map: the stale object
        session.refresh(mug)
        assert mug.price == 9


def test_orm_upsert_returning_refreshes_loaded_objects_with_populate_existing(engine, example):
    ups = example("upsert_dialects")
    with Session(engine) as session:
        [mug] = ups.upsert_objects(session, [row("A1", "mug", 8)])
        assert session.get(ups.Product, "A1") is mug
        stale = ups.upsert_objects(session, [row("A1", "mug", 9)], populate_existing=False)
        assert stale == [mug] and mug.price == 8  # the row holds 9; the object still says 8
        fresh = ups.upsert_objects(session, [row("A1", "big mug", 10), row("B2", "plate", 15)])
        assert fresh[0] is mug and (mug.name, mug.price) == ("big mug", 10)
        session.commit()
    with engine.connect() as conn:
        assert ups.all_products(conn) == [("A1", "big mug", 10), ("B2", "plate", 15)]


@THREE
def test_main_upserts_and_skips(db, example):
    assert example("upsert_dialects").main(db.url) == [
        ("A1", "big mug", 12),
        ("B2", "plate", 15),
    ]


# ---- parameter limits: asyncpg 32,767, psycopg 65,535 -------------------------------------


def upsert_counting(db, example, driver: str, writer) -> tuple[int, int]:
    """Run writer(conn) on psycopg or (through run_sync) asyncpg: (statements, rows stored).

    Everything, the CREATE TABLE included, is rolled back at the end.
    """
    ups = example("upsert_dialects")

    def run(sync_engine, conn) -> tuple[int, int]:
        calls = []
        record = lambda *args: calls.append(1)  # noqa: E731
        event.listen(sync_engine, "before_cursor_execute", record)
        try:
            writer(conn)
        finally:
            event.remove(sync_engine, "before_cursor_execute", record)
        return len(calls), len(ups.all_products(conn))

    if driver == "psycopg":
        engine = create_engine(db.url)
        try:
            with engine.connect() as conn:
                ups.metadata.create_all(conn)
                return run(engine, conn)
        finally:
            engine.dispose()

    async def on_asyncpg():
        engine = create_async_engine(db.async_url)
        try:
            async with engine.connect() as conn:
                await conn.run_sync(ups.metadata.create_all)
                return await conn.run_sync(lambda sync_conn: run(engine.sync_engine, sync_conn))
        finally:
            await engine.dispose()

    return asyncio.run(on_asyncpg())


MANY = [row(f"S{i}", "x", i) for i in range(11_000)]  # 33,000 bound parameters


@pytest.mark.backends("postgresql")
@pytest.mark.parametrize(("driver", "statements"), [("psycopg", 1), ("asyncpg", 2)])
def test_chunked_upsert_stays_under_the_drivers_parameter_limit(db, example, driver, statements):
    ups = example("upsert_dialects")
    chunked = lambda conn: ups.upsert_in_chunks(conn, ups.product, MANY, key=["sku"])  # noqa: E731
    # asyncpg: 32,767 // 3 = 10,922 rows per statement; psycopg: 65,535 // 3 = 21,845.
    assert upsert_counting(db, example, driver, chunked) == (statements, 11_000)


@pytest.mark.backends("postgresql")
def test_one_statement_over_32767_parameters_fails_on_asyncpg(db, example):
    ups = example("upsert_dialects")
    whole = lambda conn: ups.upsert(conn, ups.product, MANY, key=["sku"])  # noqa: E731
    # (The chunked test shows psycopg takes the same 33,000 parameters in one statement.)
    with pytest.raises(DBAPIError, match="number of query arguments cannot exceed 32767"):
        upsert_counting(db, example, "asyncpg", whole)
    # An executemany is split by SQLAlchemy itself: the same rows pass on asyncpg.
    many = lambda conn: conn.execute(insert(ups.product), MANY)  # noqa: E731
    assert upsert_counting(db, example, "asyncpg", many)[1] == 11_000
