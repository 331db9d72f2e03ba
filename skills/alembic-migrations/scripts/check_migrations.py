"""Check a project's Alembic migrations on a throwaway database before they reach production.

    python check_migrations.py [--url POSTGRESQL_URL] [--yes] [PROJECT_DIR]

PROJECT_DIR is the folder holding alembic.ini (default: the current folder). Checks, one line each:
single head; upgrade base -> head; models match the migrations (what `alembic check` compares);
downgrade head -> base; upgrade base -> head again; and, on PostgreSQL, a squawk lint of the SQL
each revision emits (`alembic upgrade --sql`) for operations that lock or break a live table.
Exit status: 0 all passed, 1 a check failed, 2 bad input (the error names the file or revision).

Database: a throwaway SQLite file by default (sqlite+aiosqlite when env.py builds an async
engine). With --url (PostgreSQL, a role that may CREATE DATABASE, e.g.
postgresql+psycopg://postgres@localhost/scratch) it creates <database>_migcheck_<random> on that
server, runs there and drops it; the URL's database name must contain test, scratch, tmp or ci
unless --yes. Nothing else is written: no .pyc, no revision file; the project stays as it was.

Assumes env.py connects to the Config's `sqlalchemy.url` when `config.attributes` lends no
"connection" (the env.py of `alembic init` and of the skill's template do). DATABASE_URL is
removed from the environment first; a run whose upgrade lands elsewhere stops with exit 2.

Needs: Python 3.10+, alembic, SQLAlchemy, pytest-alembic (0.13), the project's own imports and
driver (psycopg for --url), and squawk-cli (the `squawk` binary) for the PostgreSQL lint.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.dont_write_bytecode = True  # importing env.py, models and revisions must not add __pycache__

PROG = "check_migrations"
SCRATCH_NAME = re.compile(r"test|scratch|tmp|temp|(?<![a-z])ci(?![a-z])", re.IGNORECASE)
REFERENCE = "references/migrations-live-tables.md"
ASYNC_PG = {"postgresql+asyncpg", "postgresql+psycopg_async"}
ASYNC_ENV = re.compile(r"create_async_engine|async_engine_from_config")

# squawk rule -> (what it does to a live table, the safe way, section of the reference page)
UNSAFE_RULES: dict[str, tuple[str, str, str | None]] = {
    "require-concurrent-index-creation": (
        "plain CREATE INDEX blocks writes to the table until the index is built",
        "create it with postgresql_concurrently=True inside op.get_context().autocommit_block()",
        "PostgreSQL: CREATE INDEX CONCURRENTLY and enum values",
    ),
    "adding-required-field": (
        "ADD COLUMN ... NOT NULL without a default fails on a table that has rows",
        "add it nullable, backfill, then set NOT NULL",
        "Adding a NOT NULL column",
    ),
    "changing-column-type": (
        "ALTER COLUMN TYPE rewrites the table under an ACCESS EXCLUSIVE lock",
        "add a new column, backfill it in batches, switch the app, drop the old one",
        "Data migrations in batches",
    ),
    "adding-foreign-key-constraint": (
        "a new FOREIGN KEY scans the table while it blocks writes",
        "create it with postgresql_not_valid=True, then VALIDATE CONSTRAINT in a later revision",
        None,
    ),
    "constraint-missing-not-valid": (
        "a new constraint (CHECK) scans the table while it blocks writes",
        "create it with postgresql_not_valid=True, then VALIDATE CONSTRAINT in a later revision",
        None,
    ),
    "disallowed-unique-constraint": (
        "ADD UNIQUE builds its index under an ACCESS EXCLUSIVE lock",
        "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... UNIQUE USING INDEX",
        "PostgreSQL: CREATE INDEX CONCURRENTLY and enum values",
    ),
}
# A FOREIGN KEY line also trips constraint-missing-not-valid: report the specific rule only.
SUBSUMED = {"adding-foreign-key-constraint": "constraint-missing-not-valid"}


class InputError(Exception):
    """Bad input: printed as one line, exit status 2."""


class CheckFailed(Exception):
    """A check failed; the message is the reason printed on its line."""


@dataclass
class Report:
    results: list[tuple[str, str, str]] = field(default_factory=list)  # (status, check, why)
    details: list[str] = field(default_factory=list)

    def add(self, status: str, check: str, why: str = "", details: list[str] | None = None) -> None:
        print(f"{status:<5} {check}" + (f": {why}" if why else ""), flush=True)
        for line in details or []:
            print(f"      {line}", flush=True)
        self.results.append((status, check, why))

    def count(self, status: str) -> int:
        return sum(1 for result in self.results if result[0] == status)


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


# ---- the throwaway database ---------------------------------------------------------------


@contextlib.contextmanager
def throwaway_database(url: str | None, yes: bool, use_async: bool) -> Iterator[tuple[str, str]]:
    """Yield (sqlalchemy url, description); the database is gone afterwards, whatever happens."""
    from sqlalchemy import NullPool, create_engine, make_url, text

    if url is None:
        folder = tempfile.mkdtemp(prefix="check_migrations_")
        try:
            driver = "sqlite+aiosqlite" if use_async else "sqlite"
            yield f"{driver}:///{Path(folder) / 'check.db'}", f"{driver} (throwaway file)"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return

    try:
        given = make_url(url)
    except Exception as exc:
        raise InputError(f"--url {url!r} is not a database URL ({one_line(exc)})") from None
    shown = given.render_as_string(hide_password=True)
    if given.get_backend_name() != "postgresql":
        raise InputError(f"--url {shown}: only PostgreSQL URLs are supported (SQLite is default)")
    if not given.database:
        raise InputError(f"--url {shown} names no database")
    if not SCRATCH_NAME.search(given.database) and not yes:
        raise InputError(
            f"--url {shown}: database {given.database!r} does not look like a scratch database "
            "(name without test/scratch/tmp/ci); pass --yes if it is one"
        )
    name = f"{given.database[:40]}_migcheck_{secrets.token_hex(4)}"
    sync = given.set(drivername="postgresql+psycopg") if given.drivername in ASYNC_PG else given
    admin = create_engine(sync, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        message = f"--url {shown}: cannot create a throwaway database ({one_line(exc)})"
        raise InputError(message) from None
    try:
        yield (
            given.set(database=name).render_as_string(hide_password=False),
            f"postgresql (throwaway database {name} on {given.host or 'localhost'})",
        )
    finally:
        try:
            with admin.connect() as conn:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                    ),
                    {"n": name},
                )
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        finally:
            admin.dispose()


# ---- pointing Alembic and pytest-alembic at it ---------------------------------------------


def alembic_config(ini: Path, url: str):  # -> alembic.config.Config
    from alembic.config import Config

    config = Config(str(ini), stdout=io.StringIO())
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False  # the skill's env.py template honours it
    return config


def where(exc: BaseException, script, project: Path) -> str | None:
    """'revision 0002 (migrations/versions/0002_x.py)' for the deepest revision frame, or env.py."""
    paths = {str(Path(rev.path).resolve()): rev.revision for rev in script.walk_revisions()}
    env_py = str((Path(script.dir) / "env.py").resolve())
    found = None
    seen: BaseException | None = exc
    while seen is not None:  # pytest-alembic wraps errors; the original is the __cause__
        for frame in traceback.extract_tb(seen.__traceback__):
            path = str(Path(frame.filename).resolve())
            if path in paths:
                found = f"revision {paths[path]} ({relative(path, project)})"
            elif path == env_py and found is None:
                found = relative(path, project)
        seen = seen.__cause__ or seen.__context__
    return found


def project_file(exc: BaseException, project: Path) -> str | None:
    """The project file an exception was raised in (a revision that does not import, ...)."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return relative(exc.filename, project)
    inside = [
        frame.filename
        for frame in traceback.extract_tb(exc.__traceback__)
        if Path(frame.filename).resolve().is_relative_to(project)
    ]
    return relative(inside[-1], project) if inside else None


def relative(path: str, project: Path) -> str:
    try:
        return str(Path(path).relative_to(project))
    except ValueError:
        return path


@contextlib.contextmanager
def quiet() -> Iterator[io.StringIO]:
    """Keep env.py logging and Alembic's printing out of the report."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        yield buffer


# ---- the checks ----------------------------------------------------------------------------


def run_checks(project: Path, ini: Path, url: str, report: Report) -> None:
    from alembic.script import ScriptDirectory
    from pytest_alembic.config import Config as PytestAlembicConfig
    from pytest_alembic.plugin.error import AlembicTestFailure
    from pytest_alembic.runner import runner
    from pytest_alembic.tests.default import (
        test_model_definitions_match_ddl,
        test_single_head_revision,
        test_upgrade,
    )

    config = alembic_config(ini, url)
    try:
        with quiet():
            script = ScriptDirectory.from_config(config)
            revisions = list(script.walk_revisions())
    except Exception as exc:
        origin = project_file(exc, project) or relative(str(ini), project)
        raise InputError(f"{origin}: cannot be loaded ({one_line(exc)})") from None

    def failure(exc: BaseException) -> str:
        if isinstance(exc, CheckFailed):
            return str(exc)
        origin = where(exc, script, project)
        if isinstance(exc, AlembicTestFailure):
            context = dict(exc.context or [])
            drift = context.get("The upgrade which would have been generated would look like")
            if drift is not None:  # the ops autogenerate would write, on one line
                lines = (line.strip() for line in drift.splitlines())
                ops = " ".join(line for line in lines if line and not line.startswith("#"))
                return f"models differ; autogenerate would write: {ops}"
            cause = context.get("Alembic Error") or str(exc)
            return f"{origin} raised {cause}" if origin else cause.strip().splitlines()[0]
        if origin is None or not origin.startswith("revision"):  # env.py or the models broke
            raise InputError(f"{project_file(exc, project) or origin} raised {one_line(exc)}")
        return f"{origin} raised {one_line(exc)}"

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
            report.add("FAIL", check, failure(exc))
            return False
        report.add("PASS", check, why)
        return True

    settings = PytestAlembicConfig(alembic_config=config)
    with runner(config=settings, engine=None) as alembic_runner:  # env.py reads sqlalchemy.url
        heads = alembic_runner.heads

        def single_head() -> str:
            if not heads:
                raise CheckFailed("no revisions yet")
            try:
                test_single_head_revision(alembic_runner)
            except AlembicTestFailure:
                files = ", ".join(
                    f"{head} ({relative(script.get_revision(head).path, project)})"
                    for head in heads
                )
                raise CheckFailed(
                    f"{len(heads)} heads: {files}; join them: alembic merge heads -m merge"
                ) from None
            return heads[0]

        def upgrade() -> str:
            test_upgrade(alembic_runner)
            if applied(url) != set(heads):  # env.py connected somewhere else: stop before harm
                raise InputError(
                    "env.py did not migrate the throwaway database: it must take its URL from "
                    "sqlalchemy.url (or config.attributes['connection'])"
                )
            return f"{len(revisions)} revision{'s' * (len(revisions) != 1)}"

        def models_match() -> str:
            test_model_definitions_match_ddl(alembic_runner)
            return "autogenerate finds no difference"

        def downgrade() -> str:
            alembic_runner.migrate_down_to("base", return_current=False)
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


def applied(url: str) -> set[str]:
    """The revisions alembic_version of the throwaway database records."""
    from sqlalchemy import create_engine, make_url, text

    sync = {"sqlite+aiosqlite": "sqlite", **dict.fromkeys(ASYNC_PG, "postgresql+psycopg")}
    given = make_url(url)
    engine = create_engine(given.set(drivername=sync.get(given.drivername, given.drivername)))
    try:
        with engine.connect() as conn:
            return {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    except Exception:
        return set()
    finally:
        engine.dispose()


# ---- the lint ------------------------------------------------------------------------------


def squawk_binary() -> str | None:
    beside = Path(sys.executable).parent / "squawk"
    return str(beside) if beside.exists() else shutil.which("squawk")


def lint(project: Path, config, script, report: Report) -> None:
    from alembic import command

    binary = squawk_binary()
    if binary is None:
        report.add("FAIL", "squawk lint", "squawk not found (pip install squawk-cli)")
        return
    folder = Path(tempfile.mkdtemp(prefix="check_migrations_sql_"))
    try:
        files: dict[str, tuple[str, str]] = {}  # sql file -> (revision, revision file)
        for number, rev in enumerate(reversed(list(script.walk_revisions()))):
            parents = rev.down_revision  # a merge revision: lint from its first parent
            if isinstance(parents, (tuple, list)):
                parents = parents[0]
            start = parents or "base"
            sql = io.StringIO()
            config.output_buffer = sql
            try:
                with quiet():
                    command.upgrade(config, f"{start}:{rev.revision}", sql=True)
            except Exception as exc:
                origin = f"revision {rev.revision} ({relative(rev.path, project)})"
                report.add("FAIL", "squawk lint", f"{origin} raised {one_line(exc)} in --sql mode")
                return
            path = folder / f"{number:04d}.sql"
            path.write_text(sql.getvalue())
            files[str(path)] = (rev.revision, relative(rev.path, project))
        if not files:
            report.add("PASS", "squawk lint", "no revisions")
            return
        done = subprocess.run(
            [binary, "--reporter", "json", *files],
            capture_output=True,
            text=True,
            timeout=60,
        )
        try:
            found = json.loads(done.stdout or "[]")
        except ValueError:
            report.add("FAIL", "squawk lint", f"squawk failed: {done.stderr.strip()[:200]}")
            return
        findings: list[str] = []
        flagged: dict[tuple[str, int], set[str]] = {}
        for item in found:
            flagged.setdefault((item["file"], item["line"]), set()).add(item["rule_name"])
        for item in sorted(found, key=lambda i: (i["file"], i["line"])):
            rule = item["rule_name"]
            rules_here = flagged[(item["file"], item["line"])]
            if rule not in UNSAFE_RULES or any(SUBSUMED.get(other) == rule for other in rules_here):
                continue
            revision, source = files[item["file"]]
            lines = Path(item["file"]).read_text().splitlines()
            statement = " ".join(lines[item["line"]].split()) if item["line"] < len(lines) else ""
            what, safe, section = UNSAFE_RULES[rule]
            cite = f' (see {REFERENCE} "{section}")' if section else ""
            findings.append(
                f"revision {revision} ({source}): {statement!r}: {what} [{rule}]; "
                f"instead {safe}{cite}"
            )
        if findings:
            count = len(findings)
            report.add(
                "FAIL",
                "squawk lint",
                f"{count} unsafe operation{'s' * (count != 1)} on a live table",
                findings,
            )
        else:
            report.add("PASS", "squawk lint", f"{len(files)} revisions, no unsafe operation")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ---- entry point ---------------------------------------------------------------------------


def env_py_of(ini: Path) -> Path | None:
    """env.py of the project, found without importing anything (async drivers or not)."""
    from configparser import ConfigParser

    parser = ConfigParser()
    parser.read(ini)
    location = parser.get("alembic", "script_location", fallback="", raw=True)
    location = location.replace("%(here)s", str(ini.parent))
    env_py = ini.parent / location / "env.py"
    return env_py if location and env_py.is_file() else None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("project_dir", nargs="?", default=".", type=Path, help="has alembic.ini")
    parser.add_argument("--url", help="PostgreSQL server URL (a scratch database on it)")
    parser.add_argument("--yes", action="store_true", help="accept a non-scratch database name")

    def error(message: str) -> None:
        print(f"{PROG}: error: {message} (see --help)", file=sys.stderr)
        sys.exit(2)

    parser.error = error  # type: ignore[method-assign]
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    args = parse_args(argv)
    project = args.project_dir.resolve()
    ini = project / "alembic.ini"
    report = Report()
    try:
        if not ini.is_file():
            raise InputError(f"no alembic.ini in {project}")
        os.environ.pop("DATABASE_URL", None)  # the skill's env.py would prefer it to the Config
        os.chdir(project)  # `prepend_sys_path = .` and relative paths mean the project folder
        env_py = env_py_of(ini)
        use_async = env_py is not None and bool(ASYNC_ENV.search(env_py.read_text()))
        with throwaway_database(args.url, args.yes, use_async) as (url, description):
            print(f"{PROG}: {ini} on {description}", flush=True)
            run_checks(project, ini, url, report)
    except InputError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - started
    failed = report.count("FAIL")
    print(
        f"{report.count('PASS')} passed, {failed} failed, {report.count('SKIP')} skipped "
        f"in {elapsed:.1f}s"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
