"""Check a project's Alembic migrations on a throwaway database before they reach production.

    python check_migrations.py [PROJECT_DIR] [--url POSTGRESQL_URL] [-c FILE] [-n SECTION]
        [-x KEY=VALUE] [--app MODULE:FACTORY] [--base-metadata MODULE:ATTR]
        [--since REV | --all] [--format text|json|github]
    python check_migrations.py --url POSTGRESQL_URL --drop-stale

PROJECT_DIR is the folder you run `alembic` (or `flask db`) in (default: the current folder); its
alembic.ini, migrations/alembic.ini (Flask-Migrate) or pyproject.toml [tool.alembic] is used
unless -c FILE (relative to PROJECT_DIR) and -n SECTION say otherwise. Checks, one line each:
single head; upgrade base -> head; models match the migrations (what `alembic check` compares);
downgrade head -> base; upgrade base -> head again; and, on PostgreSQL, a squawk lint of the SQL
each revision emits (`alembic upgrade --sql`) for operations that lock or break a live table:
by default the revisions git shows new or changed since the merge-base with the main branch
(every revision without git), `--since REV` those after REV, `--all` every one. The lint's NOTE
line says which and why, then one FAIL (breaks or blocks a live table) or WARN (risky) line per
finding, with the safe way and the section of references/ that shows it (squawk_lint.py).
The last line counts passed, failed, warnings and skipped. Exit status: 0 nothing failed
(warnings alone pass), 1 a check or finding failed, 2 bad input (the error names the file or
revision), 128+N killed by signal N (its throwaway database is dropped first).

Database: a throwaway SQLite file by default (sqlite+aiosqlite for an async env.py). With --url
(PostgreSQL, a role that may CREATE DATABASE, e.g. postgresql+psycopg://postgres@localhost/postgres)
it connects to that database only to create <database>_migcheck_<random>, runs there and drops
it, also on SIGTERM/SIGINT; --drop-stale drops those left by a killed run (-9) nobody is using.

Only the throwaway database is touched: the checker hands its URL to env.py (sqlalchemy.url,
-x url=..., DATABASE_URL), and every SQLAlchemy engine created while it runs (by env.py, the app,
its settings) that names another database of the same kind is rewritten to the throwaway one
(one NOTE line says so); a connection to anything else (another kind of database, a creator=)
is refused before it connects: exit 2, naming the project file that built the engine. A driver
connection made without SQLAlchemy (psycopg.connect in env.py) is not seen. Flask-Migrate: the
app comes from --app, FLASK_APP, app.py or wsgi.py (as `flask --app`) and runs in an app context.
--base-metadata creates the tables revision 1 expects (made by create_all() before Alembic came)
from that MetaData first. Nothing is written to the project: no .pyc, no revision file.

--format json prints one object per line of the report (rule: the check or squawk rule, status,
severity: error, warning or info, file, line, message, link: the section of references/ that
shows the fix);
github prints workflow commands for the pull request: ::error (FAIL), ::warning (WARN) and
::notice (NOTE) at the revision's file and line; PASS and SKIP stay plain lines.

Needs: Python 3.10+, SQLAlchemy 2.0+, Alembic, the project's own imports, driver and environment
variables (the checker imports env.py, the models and settings), and for --url psycopg plus
squawk-cli (the `squawk` binary) for the PostgreSQL lint. No pytest plugin: installing these in
the project's environment leaves its test suite as it was.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import io
import json
import os
import re
import secrets
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from configparser import ConfigParser
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.dont_write_bytecode = True  # importing env.py, models and revisions must not add __pycache__

# The squawk lint lives beside this script; it also holds the small helpers both use.
import squawk_lint  # noqa: E402
from squawk_lint import one_line, plural, quiet, relative  # noqa: E402

PROG = "check_migrations"
__version__ = "0.1.0"  # the bundle's (skills/.claude-plugin/plugin.json)
# The page the checks' SECTIONS are on (the squawk findings cite squawk_lint.REFERENCE).
REFERENCE = "references/migrations.md"
ASYNC_PG = {"postgresql+asyncpg", "postgresql+psycopg_async"}
ASYNC_ENV = re.compile(r"create_async_engine|async_engine_from_config")
ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
MISSING_TABLE = re.compile(r"no such table|UndefinedTable|NoSuchTable", re.IGNORECASE)
# The section of REFERENCE that explains each check, cited by a FAIL in json and github.
SECTIONS = {
    "single head": "branches-and-merges",
    "upgrade base -> head": "when-a-revision-fails",
    "models match migrations": "drift-test",
    "downgrade head -> base": "when-a-revision-fails",
    "upgrade base -> head again": "when-a-revision-fails",
}

# --since / --all for the squawk lint (squawk_lint.py beside this file); set by parse_args.
LINT_SCOPE: dict[str, str | bool | None] = {"since": None, "everything": False}


class InputError(Exception):
    """Bad input: printed as one line, exit status 2."""


class CheckFailed(Exception):
    """A check failed; the message is the reason printed on its line."""


class Refused(BaseException):
    """A connection to a database other than the throwaway one; passes `except Exception`."""


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGINT: unwinds to the clean-up (psycopg cancels a running query first)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


# ---- the report: text, json or github ------------------------------------------------------


@dataclass
class Finding:
    """One problem in a file, for the json and github formats (text prints `message`)."""

    rule: str
    message: str
    file: str | None = None
    line: int | None = None
    reference: str | None = None
    severity: str = "error"


SEVERITY = {"FAIL": "error", "WARN": "warning", "SKIP": "warning", "PASS": "info", "NOTE": "info"}
ANNOTATION = {"FAIL": "error", "WARN": "warning", "NOTE": "notice"}  # --format github


def escape(text: str, *, prop: bool = False) -> str:
    """GitHub workflow command escaping (properties also escape ':' and ',')."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


class Report:
    """Prints each result as it comes, in the chosen format, to the real stdout (env.py output
    is captured meanwhile); paths are relative to the project (text) or to where the checker was
    started (json, github: what a CI annotation needs)."""

    def __init__(self, fmt: str = "text", project: Path | None = None) -> None:
        self.fmt = fmt
        self.project = project or Path.cwd()
        self.started_in = Path.cwd()
        self.out = sys.stdout
        self.results: list[tuple[str, str, str]] = []  # (status, check, why)

    def path(self, file: str | None) -> str | None:
        if file is None or self.fmt == "text":
            return file
        return os.path.relpath(self.project / file, self.started_in)

    def emit(self, status: str, rule: str, finding: Finding, text: str) -> None:
        file, line = self.path(finding.file), finding.line
        if self.fmt == "text":
            print(text, file=self.out, flush=True)
        elif self.fmt == "json":
            record = {
                "rule": rule,
                "status": status,
                "severity": finding.severity,
                "file": file,
                "line": line,
                "message": finding.message,
                "link": finding.reference,
            }
            print(json.dumps(record), file=self.out, flush=True)
        elif status in ANNOTATION:
            level = ANNOTATION[status]
            props = [f"file={escape(file, prop=True)}"] if file else []
            props += [f"line={line}"] if line and file else []
            props.append(f"title={escape(f'{PROG}: {rule}', prop=True)}")
            print(f"::{level} {','.join(props)}::{escape(finding.message)}", file=self.out)
            self.out.flush()
        else:
            print(text, file=self.out, flush=True)

    def add(
        self,
        status: str,
        check: str,
        why: str = "",
        *,
        rule: str | None = None,
        file: str | None = None,
        line: int | None = None,
        reference: str | None = None,
    ) -> None:
        """One line `STATUS check: why`. A finding (squawk_lint.py) also gives its rule, the
        project file and line it is about and the reference section it cites, for json and
        github; a failed check gets its section of REFERENCE."""
        section = SECTIONS.get(check)
        if reference is None and section and status == "FAIL":
            reference = f"{REFERENCE}#{section}"
        finding = Finding(
            rule=rule or check,
            message=why or check,
            file=file,
            line=line,
            reference=reference,
            severity=SEVERITY[status],
        )
        text = f"{status:<5} {check}" + (f": {why}" if why else "")
        self.emit(status, finding.rule, finding, text)
        self.results.append((status, check, why))

    def note(self, message: str, file: str | None = None, line: int | None = None) -> None:
        where = f"{file}:{line}: " if file and line else f"{file}: " if file else ""
        finding = Finding("note", message, file, line, severity="info")
        self.emit("NOTE", "note", finding, f"NOTE  {where}{message}")

    def error(self, message: str) -> None:
        """Bad input: one line on stderr, and in the chosen format on stdout for CI."""
        print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)
        if self.fmt == "json":
            record = {"rule": "input", "status": "ERROR", "severity": "error", "file": None}
            record |= {"line": None, "message": message, "link": None}
            print(json.dumps(record), file=self.out, flush=True)
        elif self.fmt == "github":
            print(f"::error title={PROG}::{escape(message)}", file=self.out, flush=True)

    def count(self, status: str) -> int:
        return sum(1 for result in self.results if result[0] == status)


def explain(exc: BaseException) -> str:
    """one_line(), plus which setting was missing when the project's settings failed."""
    text = one_line(exc)
    frames = traceback.extract_tb(exc.__traceback__)
    environ = ("os.py", "<frozen os>")  # os.environ[...]; os is frozen from Python 3.11
    if isinstance(exc, KeyError) and frames and frames[-1].filename.endswith(environ):
        return f"{text} (an environment variable it reads: set it where the checker runs)"
    errors = getattr(exc, "errors", None)  # pydantic's ValidationError (settings classes)
    if callable(errors):
        with contextlib.suppress(Exception):
            names = sorted({".".join(str(part) for part in e["loc"]) for e in errors()})
            if names:
                return (
                    f"{text} ({', '.join(names)}: missing or invalid in the environment "
                    "the checker runs in)"
                )
    root = root_cause(exc)
    if root is not exc:  # e.g. logging's "Unable to configure handler" over a missing module
        return f"{text}, because of {one_line(root)}"
    return text


def root_cause(exc: BaseException) -> BaseException:
    """The first exception of a chain (raise ... from, or raised while handling another)."""
    seen = {id(exc)}
    while (inner := exc.__cause__ or exc.__context__) is not None and id(inner) not in seen:
        seen.add(id(inner))
        exc = inner
    return exc


def in_project(path: str, project: Path) -> bool:
    """A file of the project itself (not its .venv, not this script)."""
    if path.startswith("<") or "site-packages" in path or "dist-packages" in path:
        return False
    resolved = Path(path).resolve()
    return resolved.is_relative_to(project) and resolved != Path(__file__).resolve()


# ---- the guard: no engine reaches a database other than the throwaway one ----------------


class Guard:
    """Sees every SQLAlchemy engine made while active: create_engine() (and engine_from_config,
    create_async_engine, which call it) is wrapped to rewrite a URL of the throwaway database's
    kind to the throwaway database, and a class-level do_connect listener refuses any other
    connection before the driver connects."""

    def __init__(self, target: str, project: Path, report: Report) -> None:
        from sqlalchemy import make_url

        self.target = make_url(target)
        self.backend = self.target.get_backend_name()
        self.project = project
        self.report = report
        self.origins: dict[int, tuple[tuple[str, int] | None, str, str]] = {}
        self.noted: set[tuple[object, str]] = set()
        self.refusal: str | None = None
        self.active = False
        self.install()

    def __enter__(self) -> Guard:
        self.active = True
        return self

    def __exit__(self, *exc: object) -> None:
        self.active = False

    def install(self) -> None:
        import sqlalchemy.engine.create as create_module
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        # Modules imported later (sqlalchemy.ext.asyncio, the project's) bind the wrapper.
        original = create_module.create_engine

        @functools.wraps(original)
        def create_engine(url: Any, **kwargs: Any) -> Any:
            return self.create_engine(original, url, kwargs)

        for module in list(sys.modules.values()):  # every name already bound to it
            for attr, value in list(getattr(module, "__dict__", {}).items()):
                if value is original:
                    setattr(module, attr, create_engine)
        event.listen(Engine, "do_connect", self.on_connect)

    def caller(self) -> tuple[str, int] | None:
        """The innermost project file (and line) on the stack: what chose the URL."""
        frame = sys._getframe(1)
        while frame is not None:
            if in_project(frame.f_code.co_filename, self.project):
                return relative(frame.f_code.co_filename, self.project), frame.f_lineno
            frame = frame.f_back
        return None

    def same_database(self, url: Any) -> bool:
        if url.get_backend_name() != self.backend:
            return False
        if self.backend == "sqlite":
            return bool(url.database) and os.path.realpath(url.database) == os.path.realpath(
                self.target.database
            )
        return (url.host, url.port or 5432, url.database) == (
            self.target.host,
            self.target.port or 5432,
            self.target.database,
        )

    def create_engine(self, original: Callable[..., Any], url: Any, kwargs: dict) -> Any:
        if not self.active:
            return original(url, **kwargs)
        from sqlalchemy import make_url

        given = make_url(url)
        shown = given.render_as_string(hide_password=True)
        where = self.caller()
        if any(kwargs.get(key) for key in ("creator", "async_creator", "pool")):
            what = f"builds an engine for {shown} with its own creator= or pool="
            self.refuse(where, f"{what}, whose connections the checker cannot see", "")
        chosen = given
        if given.get_backend_name() == self.backend and not self.same_database(given):
            if self.backend == "sqlite":
                chosen = given.set(database=self.target.database, query={})
            else:
                chosen = self.target.set(drivername=given.drivername)
            if (where, shown) not in self.noted:
                self.noted.add((where, shown))
                file, line = where if where else (None, None)
                self.report.note(
                    f"engine for {shown} redirected to the throwaway database", file, line
                )
        if kwargs.get("_is_async") and not chosen.get_dialect(_is_async=True).is_async:
            chosen = chosen.set(drivername=ASYNC_DRIVERS.get(self.backend, chosen.drivername))
        engine = original(chosen, **kwargs)
        self.origins[id(engine.dialect)] = (where, shown, given.get_backend_name())
        return engine

    def reaches_target(self, dialect: Any, cargs: Any, cparams: dict) -> bool:
        if dialect.name != self.backend:
            return False
        if self.backend == "sqlite":
            path = cargs[0] if cargs else cparams.get("database", "")
            if isinstance(path, str) and path.startswith("file:"):
                path = path[5:].split("?")[0]
            return bool(path) and os.path.realpath(path) == os.path.realpath(self.target.database)
        database = cparams.get("dbname") or cparams.get("database")
        host = cparams.get("host") or None
        port = int(cparams.get("port") or 5432)
        target_host = self.target.host or self.target.query.get("host") or None
        return (database, host, port) == (
            self.target.database,
            target_host,
            self.target.port or 5432,
        )

    def on_connect(self, dialect: Any, record: Any, cargs: Any, cparams: dict) -> None:
        if self.active and not self.reaches_target(dialect, cargs, cparams):
            where, shown, backend = self.origins.get(
                id(dialect), (self.caller(), f"a {dialect.name} database", dialect.name)
            )
            what = f"builds an engine for {shown}, not the throwaway {self.backend} database"
            self.refuse(where, what, backend)

    def refuse(self, where: tuple[str, int] | None, what: str, backend: str) -> None:
        origin = f"{where[0]}:{where[1]}" if where else "a module env.py imports"
        if backend == "postgresql" and self.backend != "postgresql":
            how = (
                "pass --url postgresql+psycopg://USER@HOST/postgres to check on PostgreSQL (the "
                "project's engine is then redirected there), or "
            )
        elif backend and backend != self.backend:
            how = (
                f"give the project a {self.backend} URL (any: it is redirected to the throwaway "
                "database), or "
            )
        else:
            how = ""
        self.refusal = (
            f"{origin} {what}: refused before connecting; {how}let env.py connect to "
            "config.get_main_option('sqlalchemy.url') or config.attributes['connection']"
        )
        raise Refused(self.refusal)


# ---- the throwaway database ---------------------------------------------------------------

_cleaning = False  # set while dropping the throwaway database: a second signal must not stop it


def on_signal(signum: int, frame: object) -> None:
    if not _cleaning:
        raise Interrupted(signum)


def server_url(url: str) -> Any:
    """The --url, checked: PostgreSQL, naming the database to connect to for CREATE DATABASE."""
    from sqlalchemy import make_url

    try:
        given = make_url(url)
    except Exception as exc:
        raise InputError(f"--url {url!r} is not a database URL ({one_line(exc)})") from None
    shown = given.render_as_string(hide_password=True)
    if given.get_backend_name() != "postgresql":
        raise InputError(f"--url {shown}: only PostgreSQL URLs are supported (SQLite is default)")
    if not given.database:
        raise InputError(f"--url {shown} names no database (e.g. .../postgres)")
    return given


def admin_engine(given: Any) -> Any:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    sync = given.set(drivername="postgresql+psycopg") if given.drivername in ASYNC_PG else given
    try:
        return create_engine(sync, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    except ImportError as exc:  # the URL's driver is not installed in this Python
        raise InputError(
            f"--url needs the driver {sync.drivername} ({one_line(exc)}): install it where the "
            f"checker runs ({sys.executable})"
        ) from None


@contextlib.contextmanager
def throwaway_database(url: str | None, use_async: bool, temp: Path) -> Iterator[tuple[str, str]]:
    """Yield (sqlalchemy url, description); the database is gone afterwards, whatever happens."""
    global _cleaning
    from sqlalchemy import text

    if url is None:
        driver = "sqlite+aiosqlite" if use_async else "sqlite"
        yield f"{driver}:///{temp / 'check.db'}", f"{driver} (throwaway file)"
        return

    given = server_url(url)
    shown = given.render_as_string(hide_password=True)
    name = f"{given.database[:40]}_migcheck_{secrets.token_hex(4)}"
    admin = admin_engine(given)
    state, anchor = "before", None
    try:
        try:
            with admin.connect() as conn:
                state = "creating"  # a signal from here on: the database may exist, drop it
                conn.execute(text(f'CREATE DATABASE "{name}"'))
                state = "created"
        except Exception as exc:
            state = "failed"
            message = f"--url {shown}: cannot create a throwaway database ({one_line(exc)})"
            raise InputError(message) from None
        # Held open for the whole run: --drop-stale of another run sees this one in use.
        anchor = admin_engine(given.set(database=name)).connect()
        yield (
            given.set(database=name).render_as_string(hide_password=False),
            f"postgresql (throwaway database {name} on {given.host or 'localhost'})",
        )
    finally:
        _cleaning = True
        try:
            if anchor is not None:
                anchor.close()
            if state in ("creating", "created"):
                with admin.connect() as conn:
                    conn.execute(
                        text(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = :n AND pid <> pg_backend_pid()"
                        ),
                        {"n": name},
                    )
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        finally:
            admin.dispose()
            _cleaning = False


def drop_stale(url: str | None) -> int:
    """Drop the <database>_migcheck_<random> databases of killed runs that nobody is using."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    if url is None:
        raise InputError("--drop-stale needs the --url of the runs it cleans up after")
    given = server_url(url)
    prefix = f"{given.database[:40]}_migcheck_"
    admin = admin_engine(given)
    dropped, in_use = [], []
    try:
        with admin.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT d.datname, EXISTS (SELECT 1 FROM pg_stat_activity a "
                    "WHERE a.datname = d.datname) FROM pg_database d "
                    "WHERE left(d.datname, length(:p)) = :p ORDER BY d.datname"
                ),
                {"p": prefix},
            ).all()
            for name, used in rows:
                if not re.fullmatch(re.escape(prefix) + r"[0-9a-f]{8}", name):
                    continue
                if used:
                    in_use.append(name)
                    continue
                try:  # no FORCE: a run that connected since the query keeps its database
                    conn.execute(text(f'DROP DATABASE "{name}"'))
                    dropped.append(name)
                except DBAPIError:
                    in_use.append(name)
    except DBAPIError as exc:
        shown = given.render_as_string(hide_password=True)
        raise InputError(f"--url {shown}: {one_line(exc)}") from None
    finally:
        admin.dispose()
    for name in dropped:
        print(f"dropped {name}")
    for name in in_use:
        print(f"kept    {name}: in use (a run still going)")
    print(f"{len(dropped)} dropped, {len(in_use)} in use: {prefix}* on {given.host or 'localhost'}")
    return 0


# ---- where the migrations are --------------------------------------------------------------


@dataclass
class Layout:
    ini: Path | None  # None: pyproject.toml [tool.alembic] only
    toml: Path | None
    section: str
    workdir: Path  # where `alembic` runs: relative script_location and sys.path start here
    env_py: Path | None
    script_location: str | None = None  # set on the Config when the file has none (Flask-Migrate)
    flask: bool = False
    shown: str = ""


def toml_alembic(path: Path) -> dict | None:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        return None
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, ValueError):
        return None
    section = data.get("tool", {}).get("alembic")
    return section if isinstance(section, dict) else None


def find_layout(project: Path, config_file: str | None, section: str | None) -> Layout:
    """alembic.ini (or -c FILE), its section, and env.py, found without importing anything."""
    toml = project / "pyproject.toml"
    tool = toml_alembic(toml) if toml.is_file() else None
    if config_file is not None:
        ini: Path | None = (project / config_file).resolve()
        if not ini.is_file():
            raise InputError(f"-c {config_file}: no such file in {project}")
    else:
        found = [project / name for name in ("alembic.ini", "migrations/alembic.ini")]
        ini = next((path for path in found if path.is_file()), None)
        if ini is None and tool is None:
            raise InputError(
                f"no alembic.ini in {project} (nor migrations/alembic.ini, nor [tool.alembic] in "
                "pyproject.toml); pass -c FILE"
            )
    parser = ConfigParser(interpolation=None)
    if ini is not None:
        parser.read(ini)
    shown = relative(str(ini), project) if ini else "pyproject.toml"
    name = section or "alembic"
    if ini is not None and not parser.has_section(name):
        others = [s for s in parser.sections() if parser.has_option(s, "script_location")]
        if section is not None:
            raise InputError(f"-n {section}: {shown} has no [{section}] section")
        if len(others) == 1:
            name = others[0]
        elif others:
            raise InputError(
                f"{shown} has no [alembic] section; choose one with -n: {', '.join(others)}"
            )
    location = parser.get(name, "script_location", fallback=None)
    here = ini.parent if ini else project
    override = None
    if location is None and tool is not None:
        location = tool.get("script_location")
        here = project
    if location is None:
        if ini is None or not (ini.parent / "env.py").is_file():
            raise InputError(f"{shown} [{name}] has no script_location")
        location = override = str(ini.parent)  # Flask-Migrate sets it to the ini's folder
    location = str(location).replace("%(here)s", str(here))
    workdir, env_py = project, None
    if os.path.isabs(location):
        env_py = Path(location) / "env.py"
    elif ":" not in location:  # package:path resources are Alembic's to find
        # Alembic resolves a relative script_location against the folder it runs in; a
        # project run from the ini's own folder has it relative to that.
        bases = [project, here] if here != project else [project]
        workdir = next((b for b in bases if (b / location / "env.py").is_file()), project)
        env_py = workdir / location / "env.py"
    if env_py is not None and not env_py.is_file():
        raise InputError(
            f"{shown}: script_location {location!r} has no env.py (relative to {project}, "
            "as Alembic resolves it, or to the ini's folder)"
        )
    source = env_py.read_text() if env_py is not None else ""
    suffix = f" [{name}]" if name != "alembic" else ""
    return Layout(
        ini=ini,
        toml=toml if tool is not None else None,
        section=name,
        workdir=workdir,
        env_py=env_py,
        script_location=override,
        flask="current_app" in source,
        shown=f"{ini or toml}{suffix}",
    )


# ---- pointing Alembic at the throwaway database ---------------------------------------------


def alembic_config(layout: Layout, url: str, x_args: list[str]):  # -> alembic.config.Config
    from alembic.config import Config

    extra = {"toml_file": str(layout.toml)} if layout.toml else {}
    try:
        config = Config(
            str(layout.ini) if layout.ini else None,
            ini_section=layout.section,
            stdout=io.StringIO(),
            **extra,
        )
    except TypeError:
        raise InputError("pyproject.toml [tool.alembic] needs Alembic 1.16 or newer") from None
    if layout.script_location:
        config.set_main_option("script_location", layout.script_location)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False  # the skill's env.py template honours it
    # context.get_x_argument(): an env.py that takes `-x url=...` gets the throwaway database.
    config.cmd_opts = argparse.Namespace(x=[*x_args, f"url={url}"])
    return config


@contextlib.contextmanager
def flask_app(layout: Layout, app_path: str | None, temp: Path, config) -> Iterator[None]:
    """Flask-Migrate's env.py reads current_app: load the app as `flask --app` does, in a
    context; an instance folder it would create goes to the temporary folder instead."""
    env_py = relative(str(layout.env_py), layout.workdir)
    try:
        import flask
        from flask.cli import ScriptInfo
    except ImportError:
        raise InputError(
            f"{env_py} uses Flask's current_app, and flask is not installed in {sys.executable}"
        ) from None
    find_instance = flask.Flask.auto_find_instance_path

    def instance_path(app: Any) -> str:
        path = find_instance(app)
        return path if os.path.isdir(path) else str(temp / "instance")

    flask.Flask.auto_find_instance_path = instance_path  # type: ignore[method-assign]
    try:
        with quiet():
            info = ScriptInfo(app_import_path=app_path or os.environ.get("FLASK_APP"))
            info.set_debug_flag = False
            app = info.load_app()
    except Exception as exc:
        if type(exc).__name__ == "NoAppException":
            raise InputError(
                f"{env_py} needs the Flask app: {one_line(exc)} (pass --app module:create_app)"
            ) from None
        origin = project_file(exc, layout.workdir) or "the Flask app"
        raise InputError(f"{origin} raised {explain(exc)}") from None
    with app.app_context():
        migrate = app.extensions.get("migrate")
        if migrate is not None and hasattr(migrate, "migrate"):  # @migrate.configure callbacks
            migrate.migrate.call_configure_callbacks(config)
        yield


def load_object(spec: str) -> Any:
    """module:attr.attr, imported from the project."""
    module_name, _, attrs = spec.partition(":")
    if not module_name or not attrs:
        raise InputError(f"--base-metadata {spec!r}: expected module:attribute")
    try:
        value: Any = importlib.import_module(module_name)
        for attr in attrs.split("."):
            value = getattr(value, attr)
    except (ImportError, AttributeError) as exc:
        raise InputError(f"--base-metadata {spec}: {one_line(exc)}") from None
    return value


def sync_url(url: str) -> str:
    from sqlalchemy import make_url

    sync = {"sqlite+aiosqlite": "sqlite", **dict.fromkeys(ASYNC_PG, "postgresql+psycopg")}
    given = make_url(url)
    chosen = given.set(drivername=sync.get(given.drivername, given.drivername))
    return chosen.render_as_string(hide_password=False)


def where(exc: BaseException, script, project: Path) -> tuple[str, str, int] | None:
    """('revision 0002 (migrations/versions/0002_x.py)', file, line) for the deepest revision
    frame of the exception, or env.py's."""
    paths = {str(Path(rev.path).resolve()): rev.revision for rev in script.walk_revisions()}
    env_py = str((Path(script.dir) / "env.py").resolve())
    found = None
    seen: BaseException | None = exc
    while seen is not None:  # a wrapped error: the original is the __cause__
        for frame in traceback.extract_tb(seen.__traceback__):
            path = str(Path(frame.filename).resolve())
            if path in paths:
                file = relative(path, project)
                found = (f"revision {paths[path]} ({file})", file, frame.lineno or 0)
            elif path == env_py and found is None:
                found = (relative(path, project), relative(path, project), frame.lineno or 0)
        seen = seen.__cause__ or seen.__context__
    return found


def project_file(exc: BaseException, project: Path) -> str | None:
    """The project file an exception was raised in (a revision that does not import, ...)."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return relative(exc.filename, project)
    inside = [
        frame.filename
        for frame in traceback.extract_tb(exc.__traceback__)
        if in_project(frame.filename, project)
    ]
    return relative(inside[-1], project) if inside else None


# ---- the checks ----------------------------------------------------------------------------


def run_checks(
    project: Path,
    config,
    url: str,
    report: Report,
    guard: Guard,
    base_metadata: str | None = None,
) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        with quiet():
            script = ScriptDirectory.from_config(config)
            revisions = list(script.walk_revisions())
    except Exception as exc:
        origin = project_file(exc, project) or relative(config.config_file_name or "", project)
        raise InputError(f"{origin}: cannot be loaded ({explain(exc)})") from None
    heads = list(script.get_heads())
    bases = set(script.get_bases())
    metadata = None
    if base_metadata is not None:
        with quiet():
            metadata = load_object(base_metadata)
        if not hasattr(metadata, "create_all"):
            kind = type(metadata).__name__
            raise InputError(f"--base-metadata {base_metadata} is a {kind}, not a MetaData")

    def failure(exc: BaseException) -> tuple[str, str | None, int | None]:
        if isinstance(exc, CheckFailed):
            return str(exc), None, None
        found = where(exc, script, project)
        if found is None or not found[0].startswith("revision"):  # env.py or the models broke
            if isinstance(exc, CommandError):
                return one_line(exc), None, None
            origin = project_file(exc, project) or (found[1] if found else "env.py")
            raise InputError(f"{origin} raised {explain(exc)}")
        message = f"{found[0]} raised {one_line(exc)}"
        revision = found[0].split()[1]
        if revision in bases and metadata is None and MISSING_TABLE.search(str(exc)):
            message += (
                "; if the tables it expects come from create_all(), pass "
                "--base-metadata module:MetaData"
            )
        return message, found[1], found[2]

    def step(check: str, action: Callable[[], str], needs: str | None = None) -> bool:
        if needs is not None:
            report.add("SKIP", check, needs)
            return False
        try:
            with quiet():
                why = action()
        except InputError:
            raise
        except Exception as exc:
            if guard.refusal:  # env.py caught the refusal: stop all the same
                raise InputError(guard.refusal) from None
            message, file, line = failure(exc)
            report.add("FAIL", check, message, file=file, line=line)
            return False
        if guard.refusal:
            raise InputError(guard.refusal)
        report.add("PASS", check, why)
        return True

    def single_head() -> str:
        if not heads:
            raise CheckFailed("no revisions yet")
        if len(heads) > 1:
            files = ", ".join(
                f"{head} ({relative(script.get_revision(head).path, project)})" for head in heads
            )
            raise CheckFailed(
                f"{len(heads)} heads: {files}; join them: alembic merge heads -m merge"
            )
        return heads[0]

    made_base = False

    def upgrade() -> str:
        nonlocal made_base
        if metadata is not None and not made_base:
            create_base(url, metadata)
            made_base = True
        command.upgrade(config, "heads")
        if applied(url) != set(heads):  # env.py connected somewhere the guard did not see
            raise InputError(
                "env.py did not migrate the throwaway database: it must take its URL from "
                "sqlalchemy.url (or config.attributes['connection'])"
            )
        count = plural(len(revisions), "revision")
        return count + (f" on the tables of {base_metadata}" if metadata is not None else "")

    def models_match() -> str:
        differences: list[str] = []

        def capture(context, revision, directives) -> None:
            if directives and not all(ops.is_empty() for ops in directives[0].upgrade_ops_list):
                differences.extend(render(context, ops) for ops in directives[0].upgrade_ops_list)
            directives[:] = []  # no revision file

        command.revision(config, autogenerate=True, process_revision_directives=capture)
        if differences:
            raise CheckFailed(f"models differ; autogenerate would write: {' '.join(differences)}")
        return "autogenerate finds no difference"

    def downgrade() -> str:
        command.downgrade(config, "base")
        return ""

    one_head = step("single head", single_head)
    upgraded = step("upgrade base -> head", upgrade)
    step(
        "models match migrations",
        models_match,
        needs=None if upgraded and one_head else "needs one head and a passing upgrade",
    )
    downgraded = step(
        "downgrade head -> base", downgrade, needs=None if upgraded else "upgrade failed"
    )
    step(
        "upgrade base -> head again",
        upgrade,
        needs=None if downgraded else "downgrade failed" if upgraded else "upgrade failed",
    )
    if url.startswith("postgresql"):
        lint(project, config, script, report)
    else:
        report.add("SKIP", "squawk lint", "PostgreSQL only (pass --url)")


def render(context, ops) -> str:
    """The operations autogenerate would write, on one line, rendered with env.py's options
    (render_as_batch, ...) as the revision file would have them."""
    try:
        from alembic.autogenerate.api import AutogenContext
        from alembic.autogenerate.render import _render_cmd_body

        code = _render_cmd_body(ops, AutogenContext(context))
    except ImportError:  # a future Alembic without it: the public one, default options
        from alembic.autogenerate import render_python_code

        code = render_python_code(ops)
    lines = (line.strip() for line in code.splitlines())
    return " ".join(line for line in lines if line and not line.startswith("#"))


def create_base(url: str, metadata: Any) -> None:
    """The tables that exist before revision 1 (--base-metadata), on the throwaway database."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(sync_url(url), poolclass=NullPool)
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()


def applied(url: str) -> set[str]:
    """The revisions alembic_version of the throwaway database records."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(sync_url(url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    except Exception:
        return set()
    finally:
        engine.dispose()


# ---- the lint ------------------------------------------------------------------------------


def lint(project: Path, config, script, report: Report) -> None:
    try:
        squawk_lint.lint(project, config, script, report.add, **LINT_SCOPE)
    except squawk_lint.BadScope as exc:
        raise InputError(str(exc)) from None


# ---- entry point ---------------------------------------------------------------------------


def require_versions() -> None:
    """SQLAlchemy 2.0+ and Alembic, checked before anything imports them."""
    try:
        import sqlalchemy
    except ImportError:
        raise InputError(
            f"SQLAlchemy is not installed in {sys.executable}: run the checker with the "
            "project's Python"
        ) from None
    version = sqlalchemy.__version__
    if int(version.split(".")[0]) < 2:
        raise InputError(
            f"SQLAlchemy {version} found in {sys.executable}; the checker needs SQLAlchemy 2.0 "
            "or newer"
        )
    try:
        import alembic  # noqa: F401
    except ImportError:
        raise InputError(f"Alembic is not installed in {sys.executable}") from None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument(
        "project_dir", nargs="?", default=".", type=Path, help="where you run alembic"
    )
    parser.add_argument("--url", help="PostgreSQL server URL (a throwaway database on it)")
    parser.add_argument("-c", "--config", help="the Alembic ini file, relative to PROJECT_DIR")
    parser.add_argument("-n", "--name", help="its section (alembic -n), default alembic")
    parser.add_argument(
        "-x", action="append", default=[], metavar="KEY=VALUE", help="for env.py, as alembic -x"
    )
    parser.add_argument("--app", help="Flask-Migrate: the app, as flask --app (module:factory)")
    parser.add_argument(
        "--base-metadata",
        metavar="MODULE:ATTR",
        help="the MetaData of the tables revision 1 expects (made by create_all())",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json", "github"),
        default="text",
        help="json: one object per report line; github: annotations at the file and line",
    )
    parser.add_argument(
        "--drop-stale",
        action="store_true",
        help="drop <database>_migcheck_* of killed runs on --url that nobody uses, then exit",
    )
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument(
        "--since",
        metavar="REV",
        help="squawk lint: the revisions after REV (default: those git shows new or changed "
        "since the merge-base with origin/HEAD, origin/main, main or master)",
    )
    scope.add_argument("--all", action="store_true", help="squawk lint: every revision")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")

    def error(message: str) -> None:
        print(f"{PROG}: error: {message} (see --help)", file=sys.stderr)
        sys.exit(2)

    parser.error = error  # type: ignore[method-assign]
    args = parser.parse_args(argv)
    LINT_SCOPE.update(since=args.since, everything=args.all)
    return args


# ---- files the project's own code writes ----------------------------------------------------
# The checker writes nothing in the project, but it imports env.py, the models and the app, and
# those may (a log file relative to the working folder, say). Such files are named, not removed:
# the user may be editing the project meanwhile.

NOT_WATCHED = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".tox", ".nox",
               ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages"}  # fmt: skip
WATCH_LIMIT = 50_000  # files; a bigger tree is not watched


def project_files(project: Path) -> dict[str, tuple[int, int]] | None:
    """Relative path -> (size, mtime) of the project's files; None for a tree too big to watch."""
    found: dict[str, tuple[int, int]] = {}
    for folder, dirs, files in os.walk(project):
        dirs[:] = [
            d
            for d in dirs
            if d not in NOT_WATCHED and not os.path.isfile(f"{folder}/{d}/pyvenv.cfg")
        ]
        for name in files:
            path = os.path.join(folder, name)
            with contextlib.suppress(OSError):
                stat = os.lstat(path)
                found[os.path.relpath(path, project)] = (stat.st_size, stat.st_mtime_ns)
        if len(found) > WATCH_LIMIT:
            return None
    return found


@contextlib.contextmanager
def watch_project(project: Path, report: Report) -> Iterator[None]:
    before = project_files(project)
    try:
        yield
    finally:
        after = project_files(project) if before is not None else None
        if before is not None and after is not None:
            written = sorted(path for path, stamp in after.items() if before.get(path) != stamp)
            if written:
                shown = ", ".join(written[:5]) + (
                    f" and {len(written) - 5} more" if written[5:] else ""
                )
                report.note(
                    f"the project's own code wrote {shown} while it was imported (the checker "
                    "writes nothing there)"
                )


def check(args: argparse.Namespace, project: Path, report: Report, temp: Path) -> None:
    layout = find_layout(project, args.config, args.name)
    os.chdir(layout.workdir)  # `prepend_sys_path = .` and relative paths mean this folder
    if layout.flask and str(layout.workdir) not in sys.path:
        sys.path.insert(0, str(layout.workdir))  # as `flask` finds the app's package
    source = layout.env_py.read_text() if layout.env_py else ""
    use_async = bool(ASYNC_ENV.search(source))
    with throwaway_database(args.url, use_async, temp) as (url, description):
        print(f"{PROG}: {layout.shown} on {description}", file=report.out, flush=True)
        os.environ["DATABASE_URL"] = url  # the skill's env.py and many settings read it
        with Guard(url, project, report) as guard:
            config = alembic_config(layout, url, args.x)
            with flask_app(layout, args.app, temp, config) if layout.flask else nothing():
                run_checks(project, config, url, report, guard, args.base_metadata)


@contextlib.contextmanager
def nothing() -> Iterator[None]:
    yield


def main(argv: list[str] | None = None) -> int:
    global _cleaning
    started = time.perf_counter()
    args = parse_args(argv)
    project = args.project_dir.resolve()
    report = Report(args.format, project)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, on_signal)
    temp = Path(tempfile.mkdtemp(prefix="check_migrations_"))
    try:
        require_versions()
        if args.drop_stale:
            return drop_stale(args.url)
        if not project.is_dir():
            raise InputError(f"{project} is not a folder")
        with watch_project(project, report):
            check(args, project, report, temp)
    except (InputError, Refused) as exc:
        report.error(str(exc))
        return 2
    except Interrupted as exc:
        name = signal.Signals(exc.signum).name
        print(f"{PROG}: stopped by {name}; nothing left behind", file=sys.stderr, flush=True)
        return 128 + exc.signum
    finally:
        _cleaning = True
        shutil.rmtree(temp, ignore_errors=True)
    elapsed = time.perf_counter() - started
    failed = report.count("FAIL")
    print(
        f"{report.count('PASS')} passed, {failed} failed, {plural(report.count('WARN'), 'warning')}"
        f", {report.count('SKIP')} skipped in {elapsed:.1f}s",
        file=report.out,
    )
    return 1 if failed else 0  # warnings alone pass


if __name__ == "__main__":
    sys.exit(main())
