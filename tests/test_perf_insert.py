import asyncio
import math

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

PAGE = 50  # insertmanyvalues_page_size set on the engine, so small N shows the batching


@pytest.fixture
def engine(db, example):
    engine = create_engine(db.url, insertmanyvalues_page_size=PAGE)
    assert engine.dialect.insertmanyvalues_page_size == PAGE
    example("perf_models").fresh_schema(engine)
    yield engine
    engine.dispose()


def stored_rows(engine, example) -> list[dict]:
    product = example("perf_models").Product
    with Session(engine) as session:
        stmt = select(product.sku, product.name, product.price).order_by(product.sku)
        return [row._asdict() for row in session.execute(stmt)]


def expected_statements(variant: str, backend: str, n: int) -> int:
    batches = math.ceil(n / PAGE)
    return {
        "orm_add_flush_each": n,
        # the flush needs ids in input order: batched on PostgreSQL, one per row on SQLite
        "orm_add_all": batches if backend == "postgresql" else n,
        "orm_bulk_insert": 1,  # one cursor.executemany()
        "orm_bulk_insert_returning": batches if backend == "postgresql" else n,
        "core_executemany": 1,
        "dbapi_executemany": 0,  # raw DBAPI: the engine never sees it
    }[variant]


VARIANTS = [
    "orm_add_flush_each",
    "orm_add_all",
    "orm_bulk_insert",
    "orm_bulk_insert_returning",
    "core_executemany",
    "dbapi_executemany",
]


@pytest.mark.parametrize("n", [49, 120])
@pytest.mark.parametrize("variant", VARIANTS)
def test_insert_variant_stores_every_row_in_the_expected_statements(
    engine, db, example, variant, n
):
    models, perf_insert = example("perf_models"), example("perf_insert")
    rows = models.product_rows(n)
    with models.cursor_calls(engine) as calls:
        getattr(perf_insert, variant)(engine, rows)
    assert stored_rows(engine, example) == rows
    assert len(calls) == expected_statements(variant, db.name, n)
    assert all(sql.lstrip().upper().startswith("INSERT") for sql in calls)


def test_returned_ids_belong_to_the_input_rows_in_order(engine, example):
    models = example("perf_models")
    rows = models.product_rows(120)
    ids = example("perf_insert").orm_bulk_insert_returning(engine, rows)
    with Session(engine) as session:
        sku_by_id = dict(session.execute(select(models.Product.id, models.Product.sku)).all())
    assert [sku_by_id[i] for i in ids] == [row["sku"] for row in rows]


@pytest.mark.backends("postgresql")
def test_copy_loads_every_row_without_an_insert_statement(engine, example):
    models = example("perf_models")
    rows = models.product_rows(120)
    with models.cursor_calls(engine) as calls:
        example("perf_insert").postgresql_copy(engine, rows)
    assert stored_rows(engine, example) == rows
    assert calls == []


def test_copy_is_offered_on_postgresql_only(db, example):
    engine = create_engine(db.url)
    names = set(example("perf_insert").variants_for(engine))
    engine.dispose()
    assert ("postgresql_copy" in names) == (db.name == "postgresql")
    assert set(VARIANTS) <= names


def test_main_inserts_the_same_rows_with_every_variant(db, example):
    inserted = example("perf_insert").main(db.url, n=60)
    assert set(inserted.values()) == {60}


@pytest.mark.backends("postgresql")
def test_asyncpg_bind_limit_hits_one_multi_row_statement_not_an_executemany(db, example):
    """33,000 bound parameters (asyncpg's limit is 32,767): the executemany form passes,
    with or without RETURNING (SQLAlchemy pages it); .values(rows) is one statement and fails."""
    from sqlalchemy import event, func, insert
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    models = example("perf_models")
    rows = [{"sku": f"S{i}", "name": "x", "price": i} for i in range(11_000)]

    async def run() -> tuple[list[int], int, int]:
        engine = create_async_engine(db.async_url)
        calls: list[int] = []
        record = lambda *args: calls.append(1)  # noqa: E731
        try:
            async with engine.begin() as conn:
                await conn.run_sync(models.Base.metadata.create_all)
            event.listen(engine.sync_engine, "before_cursor_execute", record)
            async with AsyncSession(engine) as session:
                await session.execute(insert(models.Product), rows)
                stmt = insert(models.Product).returning(models.Product.id)
                ids = list(await session.scalars(stmt, rows))
                with pytest.raises(DBAPIError, match="number of query arguments cannot exceed"):
                    await session.execute(insert(models.Product).values(rows))
                await session.rollback()
                # the first two inserts were rolled back with the failed one: run them again
                await session.execute(insert(models.Product), rows)
                stored = await session.scalar(select(func.count()).select_from(models.Product))
                await session.commit()
            return ids, len(calls), stored
        finally:
            await engine.dispose()

    ids, statements, stored = asyncio.run(run())
    assert len(set(ids)) == 11_000
    # 1 executemany + 11 RETURNING pages of 1000 rows + the refused statement + 1 + the count
    assert statements == 1 + 11 + 1 + 1 + 1
    assert stored == 11_000
