import pytest
from sqlalchemy import create_engine

N = 3000


@pytest.fixture
def engine(db, example):
    engine = create_engine(db.url)
    models = example("perf_models")
    models.fresh_schema(engine)
    models.seed_products(engine, N)
    yield engine
    engine.dispose()


def expected_sum(example) -> int:
    return sum(row["price"] for row in example("perf_models").product_rows(N))


@pytest.mark.parametrize(
    "variant", ["orm_all", "orm_yield_per", "core_rows", "core_yield_per", "columns"]
)
def test_every_reader_sees_every_row_in_one_statement(engine, example, variant):
    perf_results = example("perf_results")
    with example("perf_models").cursor_calls(engine) as calls:
        total = perf_results.VARIANTS[variant](engine)
    assert total == expected_sum(example)
    assert len(calls) == 1


def test_streaming_holds_a_fraction_of_the_objects(engine, example, figures):
    # Bytes of Python objects, not time: deterministic enough to assert a wide margin.
    perf_results = example("perf_results")
    peak = perf_results.peak_memory
    orm_all = peak(lambda: perf_results.orm_all(engine))
    orm_streamed = peak(lambda: perf_results.orm_yield_per(engine, batch=100))
    core_all = peak(lambda: perf_results.core_rows(engine))
    core_streamed = peak(lambda: perf_results.core_yield_per(engine, batch=100))
    figures.record(
        f"peak KiB, ORM .all() vs yield_per=100, {N} rows", (orm_all >> 10, orm_streamed >> 10)
    )
    assert orm_streamed < orm_all / 2
    assert core_streamed < core_all / 2
    assert core_all < orm_all  # rows are lighter than ORM objects


def test_main_gets_the_same_sum_from_every_reader(db, example):
    sums = example("perf_results").main(db.url, n=200)
    assert len(set(sums.values())) == 1
