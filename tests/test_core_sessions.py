import pytest
from sqlalchemy.orm.exc import DetachedInstanceError


@pytest.fixture
def factory(db, example):
    SessionLocal = example("sessions").make_session_factory(db.url)
    yield SessionLocal
    SessionLocal.kw["bind"].dispose()


def test_begin_block_commits(factory, example):
    sessions = example("sessions")
    author_id = sessions.publish_first_post(factory, "ada", "Hello")
    assert isinstance(author_id, int)
    assert sessions.count_authors(factory) == 1


def test_exception_in_begin_block_rolls_back_flushed_rows(factory, example):
    sessions = example("sessions")
    sessions.publish_first_post(factory, "ada", "Hello")
    with pytest.raises(ValueError):
        sessions.add_author_then_fail(factory, "ghost")
    assert sessions.count_authors(factory) == 1  # "ghost" was flushed, then rolled back


def test_expired_attribute_cannot_load_after_close(factory, example):
    sessions = example("sessions")
    author_id = sessions.publish_first_post(factory, "ada", "Hello")
    with pytest.raises(DetachedInstanceError):
        sessions.name_after_close(factory, author_id)
    assert sessions.name_after_close_kept(factory, author_id) == "ada"
