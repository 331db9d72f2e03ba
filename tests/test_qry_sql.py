"""Seeing the SQL: logging, compiled statements, the slow-statement log, EXPLAIN plans."""

import asyncio
import logging
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import CompileError
from sqlalchemy.orm import Session


@pytest.fixture
def engine(db, example):
    sql, models = example("qry_sql"), example("blog_models")
    engine = create_engine(db.url)
    if engine.dialect.name == "sqlite":
        sql.add_sqlite_sleep(engine)
    models.Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_engine_logger_at_info_shows_statements(engine, example, caplog):
    Author = example("blog_models").Author
    stmt = select(Author).where(Author.name == "ada")
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # restored after the test
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)  # the default
    with Session(engine) as session:
        session.scalars(stmt).all()
    assert caplog.records == []
    example("qry_sql").log_all_sql()
    with Session(engine) as session:
        session.scalars(stmt).all()
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("SELECT author.id") for m in messages)
    assert any("'ada'" in m for m in messages)  # the parameters line


def test_compiled_sql_per_dialect(example):
    shown = example("qry_sql").show_dialects()
    assert ":title_1" in shown["default"] and "POSTCOMPILE" in shown["default"]
    assert "post.title ILIKE '%loading%' AND post.id IN (1, 2)" in shown["postgresql"]
    assert "lower(post.title) LIKE lower('%loading%')" in shown["sqlite"]


def test_literal_binds_caveats(example):
    from sqlalchemy import JSON, LargeBinary, literal

    Post, render = example("blog_models").Post, example("qry_sql").render_sql
    stmt = select(Post.id).where(Post.title.like("50%"))
    assert "'50%%'" in render(stmt, postgresql.psycopg.dialect())  # pyformat doubles %
    assert "'50%'" in render(stmt, postgresql.dialect(paramstyle="named"))
    assert "'it''s'" in render(select(literal("it's")), postgresql.dialect(paramstyle="named"))
    binary = render(select(literal(b"ab", LargeBinary)), postgresql.dialect(paramstyle="named"))
    assert "'ab'" in binary  # a text literal, not bytea
    with pytest.raises(CompileError, match="No literal value renderer is available"):
        render(select(literal({"a": 1}, JSON)), postgresql.dialect(paramstyle="named"))


def test_slow_statement_is_logged(engine, example, caplog):
    sql = example("qry_sql")
    sql.log_slow_statements(engine, threshold_seconds=0.1)
    caplog.set_level(logging.WARNING, logger="myapp.slow_sql")
    with engine.connect() as conn:
        conn.exec_driver_sql(sql.sleep_sql(engine.dialect.name, 0.15))
    slow = [r.getMessage() for r in caplog.records if r.name == "myapp.slow_sql"]
    assert len(slow) == 1 and "sleep(0.15)" in slow[0]


def test_explain_shows_index_use(engine, example):
    sql, Author = example("qry_sql"), example("blog_models").Author
    with engine.begin() as conn:
        sql.add_authors(conn, 2000)
    with engine.connect() as conn:
        by_name = "\n".join(sql.explain(conn, select(Author).where(Author.name == "author 7")))
        by_email = "\n".join(sql.explain(conn, select(Author).where(Author.email == "a7@x")))
        if engine.dialect.name == "postgresql":
            assert "Index Scan using author_name_key" in by_name
            assert "Seq Scan on author" in by_email
            analyzed = "\n".join(
                sql.explain(conn, select(Author).where(Author.name == "author 7"), analyze=True)
            )
            assert "actual time=" in analyzed and "Execution Time" in analyzed
        else:
            assert "SEARCH author USING INDEX sqlite_autoindex_author_1 (name=?)" in by_name
            assert by_email == "SCAN author"


def test_explain_expands_an_in_list(engine, example):
    """in_() compiles to a POSTCOMPILE placeholder, filled in only at execution: explain()
    must render it (render_postcompile), or the database sees `IN (__[POSTCOMPILE_id_1])`."""
    sql, Author = example("qry_sql"), example("blog_models").Author
    with engine.begin() as conn:
        sql.add_authors(conn, 2000)
    with engine.connect() as conn:
        names = ["author 7", "author 8", "author 9"]
        plan = "\n".join(sql.explain(conn, select(Author).where(Author.name.in_(names))))
        in_rows = conn.scalars(select(Author.name).where(Author.name.in_(names))).all()
    assert sorted(in_rows) == names  # the same statement, executed, finds the three rows
    if engine.dialect.name == "postgresql":
        assert "author_name_key" in plan and "Index" in plan
    else:
        assert "sqlite_autoindex_author_1 (name=?)" in plan


def test_explain_through_an_async_connection(engine, db, example):
    from sqlalchemy.ext.asyncio import create_async_engine

    sql, Author = example("qry_sql"), example("blog_models").Author
    stmt = select(Author).where(Author.name.in_(["author 7", "author 8"]))

    async def plan() -> list[str]:
        async_engine = create_async_engine(db.async_url)
        try:
            async with async_engine.connect() as conn:
                return await conn.run_sync(sql.explain, stmt)
        finally:
            await async_engine.dispose()

    text = "\n".join(asyncio.run(plan()))
    assert "author_name_key" in text or "sqlite_autoindex_author_1" in text


def test_echo_plus_a_root_handler_prints_each_statement_twice(tmp_path):
    script = tmp_path / "echo.py"
    script.write_text(
        "import logging, sys\n"
        "from sqlalchemy import create_engine, text\n"
        "logging.basicConfig(stream=sys.stdout, level=logging.INFO, format='ROOT %(message)s')\n"
        "engine = create_engine('sqlite://', echo=True)\n"
        "with engine.connect() as conn:\n"
        "    conn.execute(text('select 42'))\n"
        "engine.dispose()\n"
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    lines = [line for line in out.stdout.splitlines() if line.endswith("select 42")]
    assert len(lines) == 2, out.stdout + out.stderr
