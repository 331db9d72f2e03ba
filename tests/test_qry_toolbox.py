"""Query toolbox: result methods, EXISTS, subqueries, CTEs, windows, keyset, text(), bulk, merge."""

import pytest
from sqlalchemy import inspect, select, update
from sqlalchemy.exc import InvalidRequestError, MultipleResultsFound, NoResultFound
from sqlalchemy.orm import Session


@pytest.fixture
def engine(blog_engine):
    return blog_engine


@pytest.fixture
def session(engine):
    with Session(engine) as session:
        yield session


@pytest.fixture
def tb(example):
    return example("qry_toolbox")


def test_result_methods(session, tb, example):
    Author = example("blog_models").Author
    assert tb.find_author(session, "nobody") is None
    assert tb.author_email(session, "grace") is None  # the row exists, the value is NULL
    with pytest.raises(NoResultFound, match="No row was found when one was required"):
        tb.author_email(session, "nobody")
    everyone = select(Author)
    with pytest.raises(MultipleResultsFound, match="when one or none was required"):
        session.scalars(everyone).one_or_none()
    with pytest.raises(MultipleResultsFound, match="when exactly one was required"):
        session.scalars(everyone).one()
    assert session.scalars(everyone.order_by(Author.name)).first().name == "ada"


def test_exists(session, tb):
    assert tb.has_drafts(session, "ada") is True
    assert tb.has_drafts(session, "grace") is False
    assert tb.authors_without_posts(session) == ["linus"]


def test_subqueries(session, tb):
    assert tb.views_per_author(session) == [("ada", 420), ("grace", 120)]
    assert tb.post_count_column(session) == [("ada", 3), ("grace", 2), ("linus", 0)]


def test_recursive_cte_walks_the_category_tree(session, tb):
    assert sorted(tb.category_paths(session)) == [
        ("software", 0),
        ("software / databases", 1),
        ("software / databases / postgresql", 2),
        ("software / databases / sqlite", 2),
    ]


def test_window_functions(session, tb):
    assert tb.top_post_per_author(session) == {"ada": "Eager loading", "grace": "Window functions"}
    assert [total for _, total in tb.running_views(session, "ada")] == [120, 420, 420]


def test_keyset_pages_are_disjoint_and_complete_with_ties(session, tb, example):
    models = example("blog_models")
    grace = session.scalars(select(models.Author).filter_by(name="grace")).one()
    grace.posts.extend(models.Post(title=f"tie {i}", views=i % 2 * 40) for i in range(8))
    session.flush()  # many posts share views 0 and 40: only the id breaks the tie
    expected = session.execute(
        select(models.Post.views, models.Post.id).order_by(models.Post.views, models.Post.id)
    ).all()
    seen, after = [], None
    while page := tb.posts_after(session, after, per_page=3):
        assert len(page) <= 3
        seen.extend((views, id_) for views, id_, _ in page)
        after = page[-1][:2]
    assert seen == [tuple(row) for row in expected]  # every row once, in order
    assert len(seen) == 13


def test_text_binds_values_never_splices_them(session, tb, example):
    Post = example("blog_models").Post
    assert tb.titles_with_min_views(session, 100) == ["Eager loading", "Typed models"]
    ids = session.scalars(select(Post.id).where(Post.views >= 100).order_by(Post.id)).all()
    assert sorted(tb.titles_by_ids(session, list(ids))) == ["Eager loading", "Typed models"]
    assert tb.titles_by_ids(session, [-1, -2, -3]) == []
    assert [p.title for p in tb.posts_titled(session, "Typed models")] == ["Typed models"]
    assert tb.posts_titled(session, "x' OR '1'='1") == []  # data, not SQL


@pytest.mark.parametrize(
    ("mode", "seen"),
    [
        ("auto", [121, 301, 1]),
        ("evaluate", [121, 301, 1]),
        ("fetch", [121, 301, 1]),
        (False, [120, 300, 0]),
    ],
)
def test_bulk_update_synchronize_session(session, tb, example, mode, seen):
    Post = example("blog_models").Post
    posts = session.scalars(select(Post).where(Post.author_id == 1).order_by(Post.id)).all()
    tb.bump_views(session, author_id=1, mode=mode)
    assert [p.views for p in posts] == seen  # what the loaded objects say
    session.expire_all()
    assert [p.views for p in posts] == [121, 301, 1]  # what the database says


def test_bulk_delete_synchronize_session(session, tb, example):
    Post = example("blog_models").Post
    draft = session.scalars(select(Post).filter_by(published=False)).one()
    tb.delete_drafts(session, mode="auto")
    assert inspect(draft).was_deleted and draft not in session
    session.rollback()
    draft = session.scalars(select(Post).filter_by(published=False)).one()
    tb.delete_drafts(session, mode=False)
    assert draft in session  # the session still holds the deleted row...
    assert session.get(Post, draft.id) is draft  # ...and get() returns it without SQL


def test_evaluate_cannot_run_every_where_clause(session, example):
    Post = example("blog_models").Post
    stmt = update(Post).where(Post.title.ilike("%x%")).values(views=1)
    with pytest.raises(InvalidRequestError, match="Could not evaluate current criteria in Python"):
        session.execute(stmt, execution_options={"synchronize_session": "evaluate"})


def test_merge_selects_before_it_writes(engine, tb, example):
    Post, counter = example("blog_models").Post, example("eager_loading").count_statements
    with Session(engine) as session, counter(engine) as statements:
        merged = tb.save_detached(session, Post(id=1, title="retitled", author_id=1))
        session.commit()
    assert [s.split()[0] for s in statements] == ["SELECT", "UPDATE"]
    assert inspect(merged).detached  # the returned object, detached after the session closed
    with Session(engine) as session, counter(engine) as statements:
        loaded = session.get(Post, 1)
        assert tb.save_detached(session, Post(id=1, title="again", author_id=1)) is loaded
        session.commit()
    assert [s.split()[0] for s in statements] == ["SELECT", "UPDATE"]  # get() did the SELECT
