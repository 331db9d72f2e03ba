import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import (
    Column,
    DateTime,
    MetaData,
    Table,
    create_engine,
    func,
    insert,
    inspect,
    select,
)
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import Session


def test_relationships_navigate_both_ways(db, example):
    models = example("blog_models")
    result = models.main(db.url)
    assert result == {
        "ada_titles": ["Typed models", "Eager loading", "Draft on pools"],
        "first_post_tags": ["orm", "python"],
        "database_children": ["postgresql", "sqlite"],
        "parent_of_databases": ["software"],
    }


def test_schema_has_typed_columns_and_link_table(db, example):
    models = example("blog_models")
    engine = create_engine(db.url)
    models.Base.metadata.create_all(engine)
    inspector = inspect(engine)
    assert {"author", "post", "post_tag", "tag", "category"} <= set(inspector.get_table_names())
    columns = {c["name"]: c for c in inspector.get_columns("author")}
    assert columns["name"]["nullable"] is False  # Mapped[str]
    assert columns["email"]["nullable"] is True  # Mapped[str | None]
    link_pk = inspector.get_pk_constraint("post_tag")["constrained_columns"]
    assert sorted(link_pk) == ["post_id", "tag_id"]
    engine.dispose()


def test_unique_name_is_enforced_and_delete_orphan_cascades(db, example):
    models = example("blog_models")
    engine = create_engine(db.url)
    models.Base.metadata.create_all(engine)
    with Session(engine) as session:
        models.seed(session)
        session.commit()
        session.add(models.Author(name="ada"))
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()
        ada = session.scalars(select(models.Author).filter_by(name="ada")).one()
        session.delete(ada)
        session.commit()
        remaining = session.scalar(select(func.count()).select_from(models.Post))
        assert remaining == 2  # grace's two posts; ada's three went with her
    engine.dispose()


@pytest.mark.backends("postgresql")
def test_aware_created_at_round_trips_on_asyncpg(db, example):
    models = example("blog_models")
    when = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    naive_table = Table("naive", MetaData(), Column("at", DateTime()))  # timestamp w/o time zone

    async def scenario():
        engine = create_async_engine(db.async_url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(models.Base.metadata.create_all)
                await conn.run_sync(naive_table.create)
            async with AsyncSession(engine) as session:
                session.add(models.Post(title="t", author=models.Author(name="a"), created_at=when))
                await session.commit()
                stored = await session.scalar(select(models.Post.created_at))
            async with engine.connect() as conn:
                with pytest.raises(DBAPIError, match="offset-naive and offset-aware"):
                    await conn.execute(insert(naive_table).values(at=when))
            return stored
        finally:
            await engine.dispose()

    assert asyncio.run(scenario()) == when  # aware in, aware out: timestamp with time zone
