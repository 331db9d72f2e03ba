import asyncio

import pytest
from sqlalchemy import ForeignKeyConstraint, String, create_engine, select
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    selectinload,
)


@pytest.fixture
def engine(db, example):
    models = example("blog_models")
    engine = create_engine(db.url)
    models.Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def statements_for(example, engine, loader_name: str, authors: int) -> tuple[int, dict]:
    eager = example("eager_loading")
    with Session(engine) as session:
        eager.make_authors(session, authors)
    with Session(engine) as session, eager.count_statements(engine) as statements:
        result = getattr(eager, loader_name)(session)
    return len(statements), result


@pytest.mark.parametrize("n", [5, 25])
def test_lazy_loading_is_n_plus_one(engine, example, n):
    count, result = statements_for(example, engine, "titles_lazy", n)
    assert count == n + 1
    assert set(result.values()) == {3}


@pytest.mark.parametrize(
    ("loader", "expected"),
    [
        ("titles_selectin", 2),
        ("titles_joined", 1),
        ("post_authors_joined", 1),
        ("tags_per_author", 3),
    ],
)
@pytest.mark.parametrize("n", [5, 25])
def test_eager_loading_is_constant(engine, example, loader, expected, n):
    count, result = statements_for(example, engine, loader, n)
    assert count == expected
    rows = n * 3 if loader == "post_authors_joined" else n
    assert len(result) == rows


def test_raiseload_turns_a_forgotten_lazy_load_into_an_error(engine, example):
    eager = example("eager_loading")
    with Session(engine) as session:
        eager.make_authors(session, 2)
    with Session(engine) as session:
        authors = eager.authors_strict(session)
        assert all(len(a.posts) == 3 for a in authors)  # loaded eagerly: fine
        with pytest.raises(InvalidRequestError, match="lazy=.raise."):
            _ = authors[0].posts[0].tags  # not loaded: raises instead of querying


def test_main_reports_the_counts(db, example):
    counts = example("eager_loading").main(db.url, authors=7)
    assert counts == {
        "titles_lazy": 8,
        "titles_selectin": 2,
        "titles_joined": 1,
        "post_authors_joined": 1,
    }


def test_selectinload_sends_one_more_statement_per_500_parents(engine, example):
    # 1200 authors: 1 SELECT for them, then IN lists of 500, 500 and 200: 1 + 3 statements.
    eager = example("eager_loading")
    with Session(engine) as session:
        eager.make_authors(session, 1200, posts_each=1)
    with Session(engine) as session, eager.count_statements(engine) as statements:
        result = eager.titles_selectin(session)
    assert len(statements) == 1 + 3
    assert len(result) == 1200 and set(result.values()) == {1}


class CompositeBase(DeclarativeBase):
    pass


class Shelf(CompositeBase):
    __tablename__ = "shelf"
    room: Mapped[str] = mapped_column(String(10), primary_key=True)
    number: Mapped[int] = mapped_column(primary_key=True)
    books: Mapped[list["Book"]] = relationship()


class Book(CompositeBase):
    __tablename__ = "book"
    __table_args__ = (ForeignKeyConstraint(["room", "number"], ["shelf.room", "shelf.number"]),)
    id: Mapped[int] = mapped_column(primary_key=True)
    room: Mapped[str] = mapped_column(String(10))
    number: Mapped[int]


def test_selectinload_handles_a_composite_key(db, example):
    # (room, number) IN ((...), (...)): a tuple IN list, still 2 statements.
    engine = create_engine(db.url)
    CompositeBase.metadata.create_all(engine)
    with Session(engine) as session:
        for room in ("a", "b"):
            session.add_all(Shelf(room=room, number=n, books=[Book(), Book()]) for n in range(3))
        session.commit()
    with Session(engine) as session, example("eager_loading").count_statements(engine) as sql:
        shelves = session.scalars(select(Shelf).options(selectinload(Shelf.books))).all()
        sizes = {(s.room, s.number): len(s.books) for s in shelves}
    engine.dispose()
    assert len(sql) == 2 and sizes == {(r, n): 2 for r in "ab" for n in range(3)}


def test_count_statements_takes_an_async_engine(engine, db, example):
    """Engine events live on AsyncEngine.sync_engine; the counter accepts either engine."""
    from sqlalchemy.ext.asyncio import create_async_engine

    eager = example("eager_loading")
    with Session(engine) as session:
        eager.make_authors(session, 7)

    async def run() -> tuple[int, dict[str, int]]:
        async_engine = create_async_engine(db.async_url)
        try:
            return await eager.post_counts_async(async_engine)
        finally:
            await async_engine.dispose()

    count, posts = asyncio.run(run())
    assert count == 2  # authors, then one IN query for all their posts
    assert len(posts) == 7 and set(posts.values()) == {3}
