"""Shared fixtures: every database test runs once per backend it claims.

A test asks for the ``db`` fixture and gets a :class:`Backend` with sync and async URLs
pointing at a fresh, empty database. By default a test runs on ``sqlite`` and
``postgresql``; ``@pytest.mark.backends("postgresql")`` narrows (or widens, with
``"mariadb"``) that list. Test ids carry the backend name: ``test_x[sqlite]``.

PostgreSQL and MariaDB URLs come from ``TEST_POSTGRES_URL`` / ``TEST_MARIADB_URL``.
Locally an unreachable server skips its tests with one line saying how to enable them;
with ``CI=true`` it fails them. Under pytest-xdist each worker uses its own database,
``<name>_gw0``, ``<name>_gw1``, ... (created on first use), so workers never reset each
other's schema.

``@pytest.mark.sqlalchemy("2.1", reason=...)`` runs a test only on that SQLAlchemy series
(``scripts/test.sh`` runs the suite on the newest 2.1.x and again on the newest 2.0.x).
"""

from __future__ import annotations

import collections
import importlib
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

# Every example folder is importable by module name, as when a file runs as a script there.
for folder in sorted({p.parent for p in EXAMPLES.rglob("*.py")}):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

DEFAULT_BACKENDS = ("sqlite", "postgresql")
SERVER_URLS = {
    "postgresql": os.environ.get(
        "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    ),
    "mariadb": os.environ.get("TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test"),
}
# pytest-xdist: one database per worker, named after it.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if XDIST_WORKER:
    for _name, _url in list(SERVER_URLS.items()):
        _parsed = make_url(_url)
        _worker_url = _parsed.set(database=f"{_parsed.database}_{XDIST_WORKER}")
        SERVER_URLS[_name] = _worker_url.render_as_string(hide_password=False)
SQLALCHEMY_SERIES = ".".join(sqlalchemy.__version__.split(".")[:2])
ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
ENABLE_HINT = {
    "postgresql": "start PostgreSQL or point TEST_POSTGRES_URL at one",
    "mariadb": "start MariaDB or point TEST_MARIADB_URL at one",
}
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@dataclass(frozen=True)
class Backend:
    """One database a test runs against."""

    name: str
    url: str

    @property
    def async_url(self) -> str:
        driver = ASYNC_DRIVERS.get(self.name)
        if driver is None:
            raise NotImplementedError(f"no async driver set up for {self.name}")
        return make_url(self.url).set(drivername=driver).render_as_string(hide_password=False)

    @property
    def sa_url(self) -> URL:
        return make_url(self.url)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "backends(*names): the backends a db test runs on (default sqlite, postgresql)"
    )
    config.addinivalue_line(
        "markers",
        "sqlalchemy(series, reason=...): runs only on that SQLAlchemy series (2.0 or 2.1)",
    )


def pytest_runtest_setup(item):
    marker = item.get_closest_marker("sqlalchemy")
    if marker is not None and marker.args[0] != SQLALCHEMY_SERIES:
        why = marker.kwargs.get("reason", "behaviour of that series")
        pytest.skip(f"SQLAlchemy {marker.args[0]} only ({why}); this is {sqlalchemy.__version__}")


def pytest_generate_tests(metafunc):
    if "db" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("backends")
        names = marker.args if marker else DEFAULT_BACKENDS
        metafunc.parametrize("db", names, indirect=True, ids=list(names))


_reachable: dict[str, str | None] = {}
_DATABASES_BEFORE = pytest.StashKey[set[str] | None]()


def _server_error(name: str) -> str | None:
    """None when the server answers, else a one-line reason. Probed once per run."""
    if name not in _reachable:
        url = make_url(SERVER_URLS[name])
        if name == "mariadb":  # the test database is (re)created by the reset
            url = url._replace(database=None)  # set() treats None as "unchanged"
        elif XDIST_WORKER:  # the worker's own database may not exist yet
            url = url.set(database="postgres")
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text("select 1"))
                if name == "postgresql" and XDIST_WORKER:
                    _create_postgresql_database(conn, make_url(SERVER_URLS[name]).database)
            _reachable[name] = None
        except Exception as exc:  # any driver or network error means "not reachable"
            _reachable[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        finally:
            engine.dispose()
    return _reachable[name]


def _refuse_unless_test_database(url: str) -> None:
    """The resets drop every table: refuse a database whose name does not say it is a test one."""
    database = make_url(url).database or ""
    if "test" not in database.lower():
        pytest.fail(
            f"refusing to reset database {database!r}: its name does not contain 'test'",
            pytrace=False,
        )


def _create_postgresql_database(conn, database: str) -> None:
    exists = conn.scalar(text("select 1 from pg_database where datname = :d"), {"d": database})
    if not exists:
        try:
            conn.execute(text(f'create database "{database}"'))
        except sqlalchemy.exc.DBAPIError:  # another process created it just now
            again = conn.scalar(
                text("select 1 from pg_database where datname = :d"), {"d": database}
            )
            if not again:
                raise


def drop_postgresql_database(url: str) -> None:
    """Drop a database a test created on the server (ending its sessions first)."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(
                text("select pg_terminate_backend(pid) from pg_stat_activity where datname = :d"),
                {"d": target.database},
            )
            conn.execute(text(f'drop database if exists "{target.database}"'))
    finally:
        admin.dispose()


def _reset_postgresql(url: str) -> None:
    _refuse_unless_test_database(url)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        # A connection left over by an earlier test must not block the reset.
        conn.execute(
            text(
                "select pg_terminate_backend(pid) from pg_stat_activity "
                "where datname = current_database() and pid <> pg_backend_pid()"
            )
        )
        conn.execute(text("drop schema if exists public cascade"))
        conn.execute(text("create schema public"))
    engine.dispose()


def _reset_mariadb(url: str) -> None:
    _refuse_unless_test_database(url)
    engine = create_engine(make_url(url)._replace(database=None), isolation_level="AUTOCOMMIT")
    # A database name cannot be a bound parameter: quote it with the dialect's own rules.
    database = engine.dialect.identifier_preparer.quote_identifier(make_url(url).database)
    with engine.connect() as conn:
        conn.execute(text(f"drop database if exists {database}"))
        conn.execute(text(f"create database {database}"))
    engine.dispose()


def connect_backend(name: str, tmp_path: Path) -> Backend:
    if name == "sqlite":
        return Backend("sqlite", f"sqlite:///{tmp_path / 'test.db'}")
    reason = _server_error(name)
    if reason is not None:
        message = f"{name} unreachable at {SERVER_URLS[name]} ({reason}); {ENABLE_HINT[name]}"
        if IN_CI:
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message)
    {"postgresql": _reset_postgresql, "mariadb": _reset_mariadb}[name](SERVER_URLS[name])
    return Backend(name, SERVER_URLS[name])


@pytest.fixture
def db(request, tmp_path) -> Backend:
    return connect_backend(request.param, tmp_path)


@pytest.fixture
def blog_engine(db, example):
    """An engine on the test database holding the seeded blog tables (core/blog_models.py)."""
    models = example("blog_models")
    engine = create_engine(db.url)
    models.Base.metadata.create_all(engine)
    with Session(engine) as session:
        models.seed(session)
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def example():
    """Import an example module by name (every examples/ folder is on sys.path)."""

    return importlib.import_module


# ---- figures a test wants shown (lost updates, caller errors, ...) -----------------------

# Figures and backend names travel on report.user_properties, which pytest-xdist sends from
# its workers to the process that prints the summary.
_figures: list[tuple[str, str, str]] = []


@pytest.fixture
def figures(request):
    """``figures.record("updates lost by the naive loop", 137)`` prints it in the summary."""

    class Recorder:
        def record(self, label: str, value: object) -> None:
            request.node.user_properties.append(("figure", (label, str(value))))

    return Recorder()


# ---- per-backend tally in the terminal summary ------------------------------------------

_tally: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)


def pytest_collection_modifyitems(items):
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None:
            for key in ("db", "backend"):
                if key in callspec.params:
                    item.user_properties.append(("backend", str(callspec.params[key])))


def pytest_runtest_logreport(report):
    if report.when == "call":
        for key, value in report.user_properties:
            if key == "figure":
                _figures.append((report.nodeid, *value))
    backend = dict(report.user_properties).get("backend")
    if backend is not None and (
        report.when == "call" or (report.when == "setup" and not report.passed)
    ):
        _tally[backend][report.outcome] += 1


# ---- what a run leaves on the PostgreSQL server ----------------------------------------------
# Kept on purpose and reused by every run: the suite's database and one per xdist worker
# (<name>_gw0, <name>_gw1, ...). Anything else a run creates, it drops; checked at the end.


def _postgresql_databases() -> set[str] | None:
    url = make_url(SERVER_URLS["postgresql"])
    engine = create_engine(url.set(database="postgres"))
    try:
        with engine.connect() as conn:
            return set(conn.scalars(text("select datname from pg_database")))
    except Exception:  # no server: nothing to check
        return None
    finally:
        engine.dispose()


def _left_behind(before: set[str], after: set[str]) -> list[str]:
    base = make_url(SERVER_URLS["postgresql"]).database or ""
    kept = re.compile(rf"{re.escape(base)}_gw\d+")
    return sorted(
        name
        for name in after - before
        if (name.startswith(f"{base}_") or "_migcheck_" in name) and not kept.fullmatch(name)
    )


def pytest_sessionstart(session):
    if not XDIST_WORKER:
        session.config.stash[_DATABASES_BEFORE] = _postgresql_databases()


def pytest_sessionfinish(session, exitstatus):
    before = session.config.stash.get(_DATABASES_BEFORE, None)
    after = _postgresql_databases() if before is not None else None
    if before is None or after is None:
        return
    left = _left_behind(before, after)
    if left:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = f"the run left {len(left)} database(s) on the server: {', '.join(left)}"
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(f"error: {message}" if IN_CI else f"warning: {message}")
        if IN_CI:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    # One line per run for scripts/test.sh, which runs the suite once per SQLAlchemy series.
    summary_file = os.environ.get("SQLALCHEMY_LEG_SUMMARY")
    if summary_file and not XDIST_WORKER:
        stats = terminalreporter.stats
        counts = {k: len(stats.get(k, [])) for k in ("passed", "failed", "error", "skipped")}
        parts = ", ".join(f"{n} {k}" for k, n in counts.items() if n or k != "error")
        with open(summary_file, "a", encoding="utf-8") as out:
            out.write(f"sqlalchemy {sqlalchemy.__version__}: {parts}\n")
    if _figures:
        terminalreporter.section("figures")
        for nodeid, label, value in _figures:
            terminalreporter.write_line(f"{label}: {value}  ({nodeid.split('::')[-1]})")
    if not _tally:
        return
    terminalreporter.section("tests per backend")
    for backend in sorted(_tally):
        counts = _tally[backend]
        parts = ", ".join(f"{counts[k]} {k}" for k in ("passed", "failed", "skipped") if counts[k])
        terminalreporter.write_line(f"{backend}: {parts}")
