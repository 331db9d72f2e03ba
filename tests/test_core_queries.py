import pytest
from sqlalchemy.orm import Session


@pytest.fixture
def session(blog_engine):
    with Session(blog_engine) as session:
        yield session


def test_filters(session, example):
    q = example("queries")
    assert q.published_posts_with_views(session, min_views=100) == ["Eager loading", "Typed models"]
    assert q.published_posts_with_views(session, min_views=1000) == []


def test_offset_pages_do_not_overlap_and_cover_all_rows(session, example):
    q = example("queries")
    pages = [q.page_of_titles(session, page) for page in (1, 2, 3, 4)]
    assert [len(p) for p in pages] == [2, 2, 1, 0]
    seen = [title for page in pages for title in page]
    assert len(seen) == len(set(seen)) == 5


def test_keyset_pages_walk_every_row_once(session, example):
    q = example("queries")
    seen, last_id = [], None
    while page := q.titles_after(session, last_id):
        seen.extend(page)
        last_id = page[-1][0]
    ids = [row_id for row_id, _ in seen]
    assert ids == sorted(ids) and len(ids) == 5


def test_aggregates(session, example):
    assert example("queries").view_stats(session) == (5, 540, 300)


def test_inner_join_through_association_table(session, example):
    assert example("queries").posts_by_tag(session, "sql") == [
        ("ada", "Draft on pools"),
        ("ada", "Eager loading"),
        ("grace", "Window functions"),
    ]


def test_outer_join_keeps_author_without_posts(session, example):
    assert example("queries").post_counts_per_author(session) == [
        ("ada", 3),
        ("grace", 2),
        ("linus", 0),
    ]


def test_having_filters_groups(session, example):
    q = example("queries")
    assert q.popular_tags(session, 3) == [("sql", 3)]
    assert q.popular_tags(session, 2) == [("sql", 3), ("orm", 2), ("python", 2)]


def test_selecting_columns_returns_tuples(session, example):
    q = example("queries")
    assert q.author_emails(session) == [
        ("ada", "ada@example.com"),
        ("grace", None),
        ("linus", None),
    ]
    assert q.drafts_by(session, "ada") == ["Draft on pools"]
