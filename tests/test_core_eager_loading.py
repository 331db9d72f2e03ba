import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import Session


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
