"""upsert-counter: add_stock() called at once from many threads for new SKUs loses nothing."""

from __future__ import annotations

import threading

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

THREADS = 8
ROUNDS = 6  # a new SKU each round; every thread adds to it twice


def test_concurrent_adds_to_new_skus_are_exact(db, solution):
    inventory = solution("inventory")
    engine = create_engine(db.url, pool_size=THREADS, max_overflow=0)
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS, timeout=30)

    def worker(n: int) -> None:
        try:
            for r in range(ROUNDS):
                barrier.wait()  # every thread starts on the new SKU at the same moment
                inventory.add_stock(engine, f"SKU-{r}", 1)
                inventory.add_stock(engine, f"SKU-{r}", n + 1)
        except threading.BrokenBarrierError:
            pass
        except Exception as exc:  # what the caller of add_stock would see
            errors.append(exc)
            barrier.abort()

    try:
        inventory.Base.metadata.create_all(engine)
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not any(t.is_alive() for t in threads), "add_stock calls still running after 60 s"
        assert not errors, f"add_stock raised: {errors[0]!r}"
        with Session(engine) as session:
            rows = dict(session.execute(select(inventory.Stock.sku, inventory.Stock.qty)).all())
        expected = THREADS + sum(n + 1 for n in range(THREADS))
        assert rows == {f"SKU-{r}": expected for r in range(ROUNDS)}
    finally:
        engine.dispose()
