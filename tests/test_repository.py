import asyncio

import pytest
from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import sessionmaker

NOTHING = {"customer": 0, "customer_order": 0}


@pytest.fixture
def factory(db, example):
    engine = create_engine(db.url)
    example("repo_models").Base.metadata.create_all(engine)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


def test_two_repositories_commit_together(factory, example):
    repo = example("repo_sync")
    customer_id = repo.open_account(factory, "ada@example.com", [1200, 300])
    assert isinstance(customer_id, int)
    assert repo.count_rows(factory) == {"customer": 1, "customer_order": 2}


def test_an_exception_midway_leaves_no_rows_in_either_table(factory, example):
    repo = example("repo_sync")
    with pytest.raises(ValueError, match="positive"):
        # The customer row is flushed and the first order added before the second fails.
        repo.open_account(factory, "bob@example.com", [500, -1])
    assert repo.count_rows(factory) == NOTHING


def test_a_repository_alone_never_commits(factory, example):
    repo = example("repo_sync")
    assert repo.add_without_unit_of_work(factory, "eve@example.com") == 1  # seen inside
    assert repo.count_rows(factory) == NOTHING  # gone once its session closed


def test_get_list_and_remove_through_the_unit_of_work(factory, example):
    repo = example("repo_sync")
    models = example("repo_models")
    for email in ("a@example.com", "b@example.com", "c@example.com"):
        repo.open_account(factory, email, [100])
    with repo.UnitOfWork(factory) as uow:
        b = uow.customers.by_email("b@example.com")
        assert uow.customers.get(b.id) is b  # same session, same identity map
        assert [c.email for c in uow.customers.list(limit=2)] == ["a@example.com", "b@example.com"]
        uow.orders.remove(b.orders[0])
        uow.customers.remove(b)
    with repo.UnitOfWork(factory) as uow:
        assert [c.email for c in uow.customers.list()] == ["a@example.com", "c@example.com"]
        assert uow.customers.get(b.id) is None
        assert len(uow.orders.list(models.Order.total_cents == 100)) == 2


def test_unit_of_work_rolls_back_any_error_raised_in_its_block(factory, example):
    repo = example("repo_sync")
    models = example("repo_models")
    with pytest.raises(RuntimeError), repo.UnitOfWork(factory) as uow:
        customer = uow.customers.add(models.Customer(email="x@example.com"))
        uow.orders.add(models.Order(customer=customer, total_cents=100))
        uow.session.flush()  # both INSERTs reach the database, uncommitted
        raise RuntimeError("the caller failed after the write")
    assert repo.count_rows(factory) == NOTHING


def test_sync_main(db, example):
    assert example("repo_sync").main(db.url) == {"customer": 1, "customer_order": 2}


# ---- async twin: aiosqlite and asyncpg --------------------------------------------------


async def with_async_factory(db, example, work):
    engine = create_async_engine(db.async_url)
    async with engine.begin() as conn:
        await conn.run_sync(example("repo_models").Base.metadata.create_all)
    try:
        return await work(async_sessionmaker(engine, expire_on_commit=False))
    finally:
        await engine.dispose()


def test_async_two_repositories_commit_together(db, example):
    repo = example("repo_async")

    async def work(factory):
        await repo.open_account(factory, "ada@example.com", [1200, 300])
        return await repo.count_rows(factory)

    assert asyncio.run(with_async_factory(db, example, work)) == {
        "customer": 1,
        "customer_order": 2,
    }


def test_async_exception_midway_leaves_no_rows_in_either_table(db, example):
    repo = example("repo_async")

    async def work(factory):
        with pytest.raises(ValueError, match="positive"):
            await repo.open_account(factory, "bob@example.com", [500, -1])
        return await repo.count_rows(factory)

    assert asyncio.run(with_async_factory(db, example, work)) == NOTHING


def test_async_repository_alone_never_commits(db, example):
    repo = example("repo_async")

    async def work(factory):
        seen_inside = await repo.add_without_unit_of_work(factory, "eve@example.com")
        return seen_inside, await repo.count_rows(factory)

    assert asyncio.run(with_async_factory(db, example, work)) == (1, NOTHING)


def test_async_get_and_remove(db, example):
    repo = example("repo_async")

    async def work(factory):
        customer_id = await repo.open_account(factory, "ada@example.com", [])
        async with repo.AsyncUnitOfWork(factory) as uow:
            ada = await uow.customers.get(customer_id)
            await uow.customers.remove(ada)
        async with repo.AsyncUnitOfWork(factory) as uow:
            return ada.email, await uow.customers.get(customer_id)

    assert asyncio.run(with_async_factory(db, example, work)) == ("ada@example.com", None)


def test_async_main(db, example):
    counts = asyncio.run(example("repo_async").main(db.async_url))
    assert counts == {"customer": 1, "customer_order": 2}
