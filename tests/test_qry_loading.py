"""Loading: contains_eager, load_only/defer, raiseload, populate_existing, with_loader_criteria."""

import asyncio

import pytest
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import Session


@pytest.fixture
def blog(blog_engine):
    return blog_engine


def test_contains_eager_fills_the_filtered_collection_in_one_query(blog, example):
    loading, counter = example("qry_loading"), example("eager_loading").count_statements
    with Session(blog) as session:
        ada = session.scalars(select(example("blog_models").Author).filter_by(name="ada")).one()
        assert len(ada.posts) == 3  # the whole collection is loaded and in the identity map
        with counter(blog) as statements:
            published = loading.authors_with_published_posts(session)
        assert len(statements) == 1
        # populate_existing replaced ada's loaded collection with the filtered one
        assert published == {
            "ada": ["Typed models", "Eager loading"],
            "grace": ["Async sessions", "Window functions"],
        }
        assert [post.title for post in ada.posts] == ["Typed models", "Eager loading"]


def test_load_only_selects_two_columns_and_raises_on_the_rest(blog, example):
    loading, counter = example("qry_loading"), example("eager_loading").count_statements
    with Session(blog) as session, counter(blog) as statements:
        posts = loading.post_headlines(session)
        assert len(posts) == 5
        assert "post.body" not in statements[0] and "post.title" in statements[0]
        with pytest.raises(InvalidRequestError, match="'Post.body' is not available due to"):
            _ = posts[0].body


def test_defer_loads_the_column_on_first_access(blog, example):
    loading, counter = example("qry_loading"), example("eager_loading").count_statements
    with Session(blog) as session, counter(blog) as statements:
        posts = loading.posts_without_body(session)
        assert "post.body" not in statements[0]
        assert [post.body for post in posts[:2]] == ["", ""]
        assert len(statements) == 3  # one SELECT, then one per post read


def test_raiseload_star_makes_a_lazy_load_an_error(blog, example):
    loading = example("qry_loading")
    with Session(blog) as session:
        authors = loading.authors_for_response(session)
        with pytest.raises(
            InvalidRequestError, match=r"'Author.posts' is not available due to lazy='raise'"
        ):
            _ = authors[0].posts
        strict = loading.authors_with_posts_for_response(session)
        assert len(strict[0].posts) == 3  # the explicit selectinload wins over the wildcard
        with pytest.raises(InvalidRequestError, match="'Post.tags' is not available"):
            _ = strict[0].posts[0].tags


def test_raise_on_sql_allows_identity_map_hits_only(blog, example):
    loading, models = example("qry_loading"), example("blog_models")
    with Session(blog) as session:
        posts = loading.posts_author_from_identity_map(session)
        with pytest.raises(InvalidRequestError, match="lazy='raise_on_sql'"):
            _ = posts[0].author
        authors = session.scalars(select(models.Author)).all()  # now in the identity map
        assert posts[0].author in authors  # no SQL needed, so no error


def test_populate_existing_refreshes_objects_already_loaded(blog, example):
    loading, models = example("qry_loading"), example("blog_models")
    with Session(blog) as session:
        ada = session.scalars(select(models.Author).filter_by(name="ada")).one()
        loading.rename_elsewhere(blog, "ada", "ada lovelace")
        assert loading.reload_author(session, ada.id, refresh=False) == "ada"  # stale
        assert loading.reload_author(session, ada.id, refresh=True) == "ada lovelace"


@pytest.fixture
def scoped(db, example):
    mod = example("qry_scoped")
    engine = create_engine(db.url)
    mod.Base.metadata.create_all(engine)
    with Session(engine) as session:
        mod.seed(session)
    yield mod, engine
    engine.dispose()


def test_loader_criteria_filter_top_level_and_relationship_loads(scoped):
    mod, engine = scoped
    with Session(engine) as plain:  # control: no listener, everything shows
        assert mod.task_titles_by_project(plain)["site"] == ["design", "old draft", "launch"]
    factory = mod.sessionmaker(engine, class_=mod.ScopedSession)
    for tenant, expected in ((1, {"site": ["design", "launch"]}), (2, {"app": ["api"]})):
        with factory(info={"tenant_id": tenant}) as session:
            assert mod.task_titles_by_project(session) == expected  # lazy loads
            assert mod.task_titles_eager(session) == expected  # selectinload
            assert "archive" not in mod.task_titles_by_project(session)
    with factory(info={"tenant_id": 1}) as session:
        assert mod.all_project_names(session) == ["archive", "site"]
        # only ORM SELECTs are filtered
        assert len(session.execute(text("select name from project")).all()) == 3
        assert session.execute(update(mod.Project).values(name="x")).rowcount == 3


def test_a_session_without_a_tenant_fails_closed(scoped):
    """No info["tenant_id"]: every ORM SELECT raises, instead of returning all tenants' rows;
    a cross-tenant query has to say so (all_tenants=True)."""
    mod, engine = scoped
    factory = mod.sessionmaker(engine, class_=mod.ScopedSession)
    with factory() as session:
        with pytest.raises(mod.TenantNotSet, match="tenant_id"):
            mod.task_titles_by_project(session)
        with pytest.raises(mod.TenantNotSet):
            session.get(mod.Project, 1)
        stmt = select(mod.Project.tenant_id).order_by(mod.Project.tenant_id)
        every_tenant = session.scalars(stmt, execution_options={"all_tenants": True}).all()
        assert every_tenant == [1, 2]  # soft-deleted "archive" still hidden


def test_loader_criteria_under_asyncio(db, example):
    result = asyncio.run(example("qry_async").main(db.async_url))
    assert result == {"tenant_1": {"site": ["design", "launch"]}, "tenant_2": {"app": ["api"]}}
