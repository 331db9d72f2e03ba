import asyncio

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.ext.asyncio.exc import AsyncMethodRequired


def run_with_events(db, example, count, scenario):
    models = example("async_models")
    streaming = example("async_streaming")

    async def go():
        engine = create_async_engine(db.async_url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(models.Base.metadata.create_all)
            async with AsyncSession(engine) as session:
                await streaming.add_events(session, count)
                return await scenario(session)
        finally:
            await engine.dispose()

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("events", "batch", "expected"),
    [(250, 100, [100, 100, 50]), (300, 100, [100, 100, 100]), (7, 100, [7])],
)
def test_stream_scalars_yields_partitions_of_yield_per_rows(db, example, events, batch, expected):
    streaming = example("async_streaming")
    sizes = run_with_events(db, example, events, lambda s: streaming.batch_sizes(s, batch))
    assert sizes == expected
    assert sum(sizes) == events


def test_stream_rows_sees_every_row(db, example):
    streaming = example("async_streaming")
    counts = run_with_events(db, example, 1001, streaming.count_by_kind)
    assert counts == {"click": 334, "view": 334, "buy": 333}


def test_main_streams_in_batches(db, example):
    sizes = asyncio.run(example("async_streaming").main(db.async_url, events=2500))
    assert sizes == [1000, 1000, 500]


def test_yield_per_with_execute_is_refused(db, example):
    streaming = example("async_streaming")
    with pytest.raises(AsyncMethodRequired, match="stream"):
        run_with_events(db, example, 10, lambda s: streaming.events_buffered(s, 5))


@pytest.mark.backends("postgresql")
def test_stream_reads_through_a_server_side_cursor_on_postgresql(db, example):
    # Mid-stream, PostgreSQL holds an open cursor (portal) for the SELECT: rows are fetched
    # batch by batch. A plain (buffered) query leaves none: its rows all arrived at once.
    Event = example("async_models").Event
    open_cursors = text("select statement from pg_cursors where statement like 'SELECT event.%'")

    async def scenario(session):
        buffered = (await session.scalars(select(Event))).all()
        after_buffered = (await session.scalars(open_cursors)).all()
        result = await session.stream_scalars(select(Event).execution_options(yield_per=10))
        first = await result.fetchmany(10)
        during_stream = (await session.scalars(open_cursors)).all()
        await result.close()
        return len(buffered), after_buffered, len(first), during_stream

    buffered, after_buffered, fetched, during_stream = run_with_events(db, example, 100, scenario)
    assert (buffered, after_buffered) == (100, [])
    assert fetched == 10
    assert len(during_stream) == 1 and "FROM event" in during_stream[0]
