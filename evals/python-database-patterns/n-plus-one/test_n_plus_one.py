"""n-plus-one: the summary page's statement count must not grow with the number of authors."""

from __future__ import annotations

from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session

AUTHORS = 60


def test_summaries_are_right_and_take_a_constant_number_of_statements(db, solution):
    blog = solution("blog")
    engine = create_engine(db.url)
    try:
        blog.Base.metadata.create_all(engine)
        with Session(engine) as session:
            for i in range(AUTHORS):
                author = blog.Author(name=f"author-{i:03}")
                session.add(author)
                session.flush()
                for j in range(3):
                    session.add(blog.Post(title=f"post-{i}-{j}", author_id=author.id))
            session.commit()

        statements: list[str] = []
        event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        with Session(engine) as session:
            summaries = blog.author_summaries(session)
        assert [s["name"] for s in summaries] == [f"author-{i:03}" for i in range(AUTHORS)]
        assert summaries[7]["titles"] == ["post-7-0", "post-7-1", "post-7-2"]
        assert len(statements) <= 3, f"{len(statements)} statements for {AUTHORS} authors"
    finally:
        engine.dispose()
