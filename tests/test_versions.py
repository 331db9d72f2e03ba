"""What differs between SQLAlchemy 2.0 and 2.1: each row of references/versions.md.

Every test runs on both legs of scripts/test.sh and asserts what THIS series does, so a
row that stops being true on either series fails here.
"""

import importlib.metadata
import subprocess
import sys
import warnings

import pytest
import sqlalchemy
from conftest import SQLALCHEMY_SERIES
from sqlalchemy import JSON, create_engine, make_url, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DataError, SADeprecationWarning
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from test_types import mypy


def by_series(on_20: object, on_21: object) -> object:
    return {"2.0": on_20, "2.1": on_21}[SQLALCHEMY_SERIES]


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "version_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    doc: Mapped[dict] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))


def test_default_driver_of_a_url_without_one():
    drivers = {u: make_url(u).get_dialect().driver for u in ("postgresql://", "oracle://")}
    assert drivers == by_series(
        {"postgresql://": "psycopg2", "oracle://": "cx_oracle"},
        {"postgresql://": "psycopg", "oracle://": "oracledb"},
    )


def test_postgresql_url_without_driver_needs_psycopg2_on_20():
    # This project installs psycopg (3) only, as most new projects do.
    if SQLALCHEMY_SERIES == "2.0":
        with pytest.raises(ModuleNotFoundError, match="psycopg2"):
            create_engine("postgresql://app@127.0.0.1/app")
    else:
        create_engine("postgresql://app@127.0.0.1/app").dispose()  # no connection is opened


def test_greenlet_without_the_asyncio_extra():
    requires = importlib.metadata.requires("sqlalchemy") or []
    unconditional = [r for r in requires if r.startswith("greenlet") and "extra ==" not in r]
    # 2.0: a platform-gated requirement installs greenlet on x86_64/aarch64 anyway.
    assert bool(unconditional) == by_series(True, False), requires


WITHOUT_GREENLET = """
import asyncio, sys
sys.modules["greenlet"] = None  # as if greenlet were not installed
try:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    async def query():
        engine = create_async_engine("sqlite+aiosqlite://")
        async with engine.connect() as conn:
            await conn.execute(text("select 1"))

    asyncio.run(query())
except Exception as exc:
    print(f"{type(exc).__name__}: {exc}")
"""


def test_async_code_without_greenlet():
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_GREENLET], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.startswith(
        by_series(
            "ValueError: the greenlet library is required to use this function",  # at first use
            "ImportError: The SQLAlchemy asyncio module requires that the Python 'greenlet' "
            "library is installed",  # at import
        )
    ), result.stdout + result.stderr


def test_minimum_python():
    assert importlib.metadata.metadata("sqlalchemy")["Requires-Python"] == by_series(
        ">=3.7", ">=3.11"
    )


def test_session_execute_text_autoflushes(db):
    engine = create_engine(db.url)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(Note(id=1, doc={}))  # pending: not flushed yet
        seen = session.execute(text("select count(*) from version_note")).scalar_one()
    engine.dispose()
    assert seen == by_series(0, 1)  # 2.0 counts without the pending row


def test_result_tuples_is_deprecated_on_21():
    engine = create_engine("sqlite://")
    with engine.connect() as conn, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rows = conn.execute(text("select 1, 'a'")).tuples().all()
    engine.dispose()
    assert rows == [(1, "a")]
    assert not isinstance(rows[0], tuple)  # a Row compares equal to a tuple but is not one
    deprecated = [w for w in caught if issubclass(w.category, SADeprecationWarning)]
    assert len(deprecated) == by_series(0, 1)


@pytest.mark.backends("postgresql")
def test_json_contains_is_like_on_both_and_warns_only_on_21(db):
    engine = create_engine(db.url)
    Base.metadata.create_all(engine)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clause = Note.doc.contains({"color": "red"})
    assert " LIKE " in str(clause.compile(dialect=engine.dialect))  # not @> on either series
    warned = [w for w in caught if "contains_op" in str(w.message)]
    assert len(warned) == by_series(0, 1)
    with Session(engine) as session, pytest.raises(DataError, match="invalid input syntax"):
        session.execute(select(Note.id).where(clause))
    engine.dispose()


def test_rows_type_check_as_tuples_only_on_21(tmp_path):
    program = tmp_path / "rows_as_tuples.py"
    program.write_text(
        "from sqlalchemy import Connection, Integer, String, column, select\n"
        "def names(conn: Connection) -> dict[int, str]:\n"
        "    stmt = select(column('id', Integer), column('name', String))\n"
        "    return dict(conn.execute(stmt).all())\n"
    )
    result = mypy(str(program))  # strict = true from pyproject.toml
    assert (result.returncode == 0) == by_series(False, True), result.stdout


def test_running_series_is_pinned_by_the_leg():
    assert sqlalchemy.__version__.startswith(SQLALCHEMY_SERIES + ".")
    assert sys.version_info >= (3, 11)
