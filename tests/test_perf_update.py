import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

N = 120


@pytest.fixture
def engine(db, example):
    engine = create_engine(db.url)
    models = example("perf_models")
    models.fresh_schema(engine)
    models.seed_products(engine, N)
    yield engine
    engine.dispose()


def prices(engine, example) -> list[int]:
    product = example("perf_models").Product
    with Session(engine) as session:
        return list(session.scalars(select(product.price).order_by(product.id)))


@pytest.mark.parametrize(
    ("variant", "selects", "updates"),
    [
        ("per_object_flush", 1, N),  # one UPDATE per flushed object
        ("unit_of_work", 1, 1),  # one flush: the UPDATEs go out as one executemany
        ("bulk_by_primary_key", 1, 1),  # one executemany of {"id", "price"} dicts
        ("single_update", 0, 1),  # one UPDATE ... SET price = price + 1
    ],
)
def test_every_variant_raises_every_price_by_one(engine, example, variant, selects, updates):
    before = prices(engine, example)
    with example("perf_models").cursor_calls(engine) as calls:
        example("perf_update").VARIANTS[variant](engine)
    assert prices(engine, example) == [p + 1 for p in before]
    verbs = [sql.lstrip().split()[0].upper() for sql in calls]
    assert verbs.count("SELECT") == selects
    assert verbs.count("UPDATE") == updates
    assert len(verbs) == selects + updates


def test_main_adds_n_per_variant(db, example):
    sums = example("perf_update").main(db.url, n=50)
    steps = list(sums.values())
    assert [later - earlier for earlier, later in zip(steps[:-1], steps[1:], strict=True)] == [
        50
    ] * 4
