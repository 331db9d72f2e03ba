import pytest
from sqlalchemy import create_engine


def expected_totals(customer_ids) -> dict[int, int]:
    # seed_customers gives customer c orders totalling c % 100 + 0, + 1 and + 2
    return {c: 3 * (c % 100) + 3 for c in customer_ids}


@pytest.fixture
def seeded(db, example):
    def make(customers: int):
        engine = create_engine(db.url)
        models = example("perf_models")
        models.fresh_schema(engine)
        models.seed_customers(engine, customers, 3)
        engines.append(engine)
        return engine

    engines = []
    yield make
    for engine in engines:
        engine.dispose()


def run(example, engine, variant: str) -> tuple[dict[int, int], list[str]]:
    perf_loading = example("perf_loading")
    with example("perf_models").cursor_calls(engine) as calls:
        totals = perf_loading.VARIANTS[variant](engine)
    return totals, calls


@pytest.mark.parametrize(
    ("variant", "statements"),
    [("lazy", 121), ("selectinload", 2), ("joinedload", 1), ("subqueryload", 2)],
)
def test_loader_statement_counts_for_120_customers(seeded, example, variant, statements):
    totals, calls = run(example, seeded(120), variant)
    assert len(calls) == statements
    assert totals == expected_totals(totals) and len(totals) == 120


def test_every_loader_returns_the_same_totals(seeded, example):
    engine = seeded(40)
    results = [run(example, engine, v)[0] for v in example("perf_loading").VARIANTS]
    assert all(r == results[0] for r in results)


def test_selectinload_sends_one_in_query_per_500_parents(seeded, example):
    totals, calls = run(example, seeded(1001), "selectinload")
    assert len(totals) == 1001
    assert len(calls) == 1 + 3  # customers, then IN batches of 500, 500 and 1
    assert all(" IN " in sql.upper() for sql in calls[1:])


def test_main_reports_statement_counts(db, example):
    counts = example("perf_loading").main(db.url, customers=30)
    assert counts == {"lazy": 31, "selectinload": 2, "joinedload": 1, "subqueryload": 2}
