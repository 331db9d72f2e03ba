"""Running skills/alembic-migrations/scripts/check_migrations.py as a user runs it: a copy in an
installed skill folder, started as a subprocess on a fixture project from
tests/fixtures/migrations/. Every run also checks it left nothing behind: the project tree (files
and folders) is the same, its temporary folder is empty and its throwaway PostgreSQL database
is gone. Shared by the test_check_migrations*.py modules.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import create_engine, inspect, make_url, text

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "migrations"
SKILL = ROOT / "skills" / "alembic-migrations"
CHECKER = SKILL / "scripts" / "check_migrations.py"
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed, (\d+) warnings?, (\d+) skipped in \d+\.\ds$")
COUNTED = ("PASS", "FAIL", "WARN", "SKIP")  # the report lines the summary counts, in its order
MADE = re.compile(r"throwaway database (\S+_migcheck_[0-9a-f]{8}) on ")


LOCK_ADVICE = (
    "with no lock_timeout, a lock request queued behind a long transaction blocks every later "
    "query on the table until it gets the lock; SET lock_timeout (a few seconds) for the "
    "migration connection in env.py, retry on timeout "
    "(see references/migrations-live-tables.md#lock-timeout-and-retry)"
)


def configure_line(env_py: Path) -> int:
    """The line of env.py's first context.configure(, where the lock warning points."""
    lines = env_py.read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if "context.configure(" in line)


def lock_warning(env_line: int, first: str, count: int) -> str:
    """The squawk lint's one warning for `count` revisions that lock tables, `first` being the
    file:line of the first statement, when env.py sets no lock_timeout."""
    locks = f"{count} revisions lock" if count != 1 else "1 revision locks"
    more = f" and {count - 1} more" if count > 1 else ""
    return (
        f"WARN  squawk require-lock-timeout migrations/env.py:{env_line}: {locks} tables in use "
        f"({first}{more}): {LOCK_ADVICE}"
    )


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives the headings of a markdown page."""
    headings = re.findall(r"^#+ (.+)$", page.read_text(), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def resolves(link: str) -> bool:
    """A link the checker prints (references/page.md#anchor) names a section of the skill."""
    page, _, anchor = link.partition("#")
    return (SKILL / page).is_file() and anchor in anchors(SKILL / page)


def load_render_alembic():
    spec = importlib.util.spec_from_file_location(
        "render_alembic", SKILL / "scripts" / "render_alembic.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def install_checker(folder: Path) -> Path:
    """The script where the installer puts it: <skill>/scripts/check_migrations.py, with the
    modules beside it."""
    scripts = folder / "alembic-migrations" / "scripts"
    shutil.copytree(CHECKER.parent, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    return scripts / CHECKER.name


def make_project(tmp_path: Path, overlay: str | None = None, base: str = "good") -> Path:
    """A copy of `base` with alembic.ini and env.py rendered from the skill's templates, plus
    the files of an overlay folder (which may replace them)."""
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / base, project)
    assert load_render_alembic().main([str(project), "--metadata", "app.models:Base.metadata"]) == 0
    if overlay is not None:
        shutil.copytree(FIXTURES / overlay, project, dirs_exist_ok=True)
    return project


def copy_project(tmp_path: Path, name: str) -> Path:
    """A fixture that is a whole project of its own (flask_app)."""
    return Path(shutil.copytree(FIXTURES / name, tmp_path / "project"))


def digest(tree: Path) -> dict[str, str]:
    return {
        str(path.relative_to(tree)): (
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "folder"
        )
        for path in sorted(tree.rglob("*"))
    }


def server_url(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def database_exists(url: str, name: str) -> bool:
    engine = create_engine(server_url(url, "postgres"))
    try:
        with engine.connect() as conn:
            found = conn.scalar(text("select 1 from pg_database where datname = :n"), {"n": name})
    finally:
        engine.dispose()
    return found is not None


def table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def check(
    installed: Path,
    project: Path,
    *args: str,
    env: dict[str, str] | None = None,
    shown: str | None = None,
    python: str = sys.executable,
    project_writes: tuple[str, ...] = (),
) -> tuple[int, list[str], str]:
    """Run the script from another folder; return (exit status, report lines, stderr), the
    header line (`check_migrations: <shown> on ...`) and the summary line taken off."""
    work = project.parent / "elsewhere"
    tmp = project.parent / "tmp"
    work.mkdir(exist_ok=True)
    tmp.mkdir(exist_ok=True)
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    # The skill's env.py prefers DATABASE_URL: the script must not let it through.
    environ |= {"DATABASE_URL": "sqlite:////nonexistent/folder/prod.db", "TMPDIR": str(tmp)}
    environ |= env or {}
    before = digest(project) if project.exists() else {}
    done = subprocess.run(
        [python, str(installed), *args, str(project)],
        cwd=work,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    after = digest(project) if project.exists() else {}
    # No .pyc, no file, no folder; but what the project's own code writes (project_writes).
    assert {k: v for k, v in after.items() if k not in project_writes} == before
    assert list(tmp.iterdir()) == []  # the throwaway SQLite file and the SQL files are gone
    lines = done.stdout.splitlines()
    if lines and lines[0].startswith("check_migrations: "):
        header = lines.pop(0)
        expected = shown or str(project / "alembic.ini")
        assert header.startswith(f"check_migrations: {expected} on "), header
        made = MADE.search(header)
        if made is not None:  # PostgreSQL: the database it made is gone again
            assert not database_exists(args[args.index("--url") + 1], made[1])
    if done.returncode in (0, 1):
        summary = SUMMARY.match(lines[-1])
        assert summary, lines[-1]
        lines = lines[:-1]
        passed, failed, warned, skipped = map(int, summary.groups())
        assert done.returncode == (1 if failed else 0)  # warnings alone pass
        if "--format" not in args or args[args.index("--format") + 1] == "text":
            counts = [sum(line.startswith(f"{status}  ") for line in lines) for status in COUNTED]
            assert counts == [passed, failed, warned, skipped], (counts, summary[0])
            assert f", {warned} warning{'s' * (warned != 1)}, " in summary[0]
    return done.returncode, lines, done.stderr


class Batch:
    """Runs started together, three at a time (each waits on imports and the database as much
    as on a CPU); each test takes its own result."""

    def __init__(self, workers: int = 3) -> None:
        self.pool = ThreadPoolExecutor(max_workers=workers)
        self.futures: dict[object, Future] = {}

    def submit(self, key: object, job: Callable[[], object]) -> None:
        self.futures[key] = self.pool.submit(job)

    def __contains__(self, key: object) -> bool:
        return key in self.futures

    def result(self, key: object):
        return self.futures[key].result()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
