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
