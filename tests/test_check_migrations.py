"""scripts/check_migrations.py, run as a user runs it: a copy in an installed skill folder,
started as a subprocess on the fixture projects in tests/fixtures/migrations/, on SQLite and
PostgreSQL. Every run also checks it left nothing behind: the project tree hashes the same,
its temporary folder is empty and no throwaway PostgreSQL database is left.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "migrations"
SUMMARY = re.compile(r"^\d+ passed, \d+ failed, \d+ skipped in \d+\.\ds$")


def load_render_alembic():
    spec = importlib.util.spec_from_file_location(
        "render_alembic", ROOT / "skills" / "alembic-migrations" / "scripts" / "render_alembic.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The script where the installer puts it: <skill>/scripts/check_migrations.py."""
    scripts = tmp_path_factory.mktemp("skills") / "alembic-migrations" / "scripts"
    scripts.mkdir(parents=True)
    return Path(
        shutil.copy(
            ROOT / "skills" / "alembic-migrations" / "scripts" / "check_migrations.py", scripts
        )
    )


def make_project(tmp_path: Path, overlay: str | None = None) -> Path:
    """good/ with alembic.ini and env.py rendered from the skill's templates, plus an overlay."""
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "good", project)
    assert load_render_alembic().main([str(project), "--metadata", "app.models:Base.metadata"]) == 0
    if overlay is not None:
        shutil.copytree(FIXTURES / overlay, project, dirs_exist_ok=True)
    return project


def digest(tree: Path) -> dict[str, str]:
    return {
        str(path.relative_to(tree)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(tree.rglob("*"))
        if path.is_file()
    }


def throwaway_databases(url: str, name: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(
            text("select datname from pg_database where datname = :n"), {"n": name}
        )
        names = [row[0] for row in found]
    engine.dispose()
    return names


def check(installed: Path, project: Path, *args: str) -> tuple[int, list[str], str]:
    """Run the script from another folder; return (exit status, report lines, stderr)."""
    work = project.parent / "elsewhere"
    tmp = project.parent / "tmp"
    work.mkdir(exist_ok=True)
    tmp.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    # The skill's env.py prefers DATABASE_URL: the script must ignore it (this one would fail).
    env |= {"DATABASE_URL": "sqlite:////nonexistent/folder/prod.db", "TMPDIR": str(tmp)}
    before = digest(project) if project.exists() else {}
    done = subprocess.run(
        [sys.executable, str(installed), *args, str(project)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert (digest(project) if project.exists() else {}) == before  # no .pyc, no new revision
    assert list(tmp.iterdir()) == []  # the throwaway SQLite file and the SQL files are gone
    lines = done.stdout.splitlines()
    if lines and lines[0].startswith("check_migrations: "):
        header = lines.pop(0)
        assert header.startswith(f"check_migrations: {project / 'alembic.ini'} on "), header
        made = re.search(r"throwaway database (\S+) on", header)
        if made is not None:  # PostgreSQL: the database it made is gone again
            assert throwaway_databases(args[args.index("--url") + 1], made[1]) == []
    if done.returncode != 2:
        assert SUMMARY.match(lines[-1]), lines[-1]
        lines = lines[:-1]
    return done.returncode, lines, done.stderr


BOTH = [None, "two_heads", "raises", "bad_downgrade", "drift", "unsafe", "broken_file"]
OVERLAYS = {"sqlite": [*BOTH, "plain_env", "broken_models"], "postgresql": BOTH}


def scratch_url(url: str) -> str:
    """<db>_scratch next to the test database: the db fixture's reset of <db> (it ends every
    connection to it) must not cut the script's own connection."""
    given = make_url(url)
    scratch = given.set(database=f"{given.database}_scratch")
    engine = create_engine(given, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.execute(
            text("select 1 from pg_database where datname = :n"), {"n": scratch.database}
        ).first()
        if exists is None:
            conn.execute(text(f'create database "{scratch.database}"'))
    engine.dispose()
    return scratch.render_as_string(hide_password=False)


class Runs:
    """The first test of a backend starts the script on every fixture project of that backend,
    three at a time (each run waits on imports and the database as much as on a CPU); each
    test then takes its own result."""

    def __init__(self, installed: Path, base: Path) -> None:
        self.installed, self.base = installed, base
        self.pool = ThreadPoolExecutor(max_workers=3)
        self.futures: dict[tuple[str, str | None], Future] = {}

    def result(self, db, overlay: str | None) -> tuple[int, list[str], str]:
        if (db.name, overlay) not in self.futures:
            args = [] if db.name == "sqlite" else ["--url", scratch_url(db.url)]
            for each in OVERLAYS[db.name]:
                project = make_project(self.base / db.name / (each or "good"), each)
                self.futures[db.name, each] = self.pool.submit(
                    check, self.installed, project, *args
                )
        return self.futures[db.name, overlay].result()


@pytest.fixture(scope="module")
def runs(installed, tmp_path_factory):
    runs = Runs(installed, tmp_path_factory.mktemp("projects"))
    yield runs
    runs.pool.shutdown(wait=True, cancel_futures=True)


HEAD_0002 = [
    "PASS  single head: 0002",
    "PASS  upgrade base -> head: 2 revisions",
    "PASS  models match migrations: autogenerate finds no difference",
    "PASS  downgrade head -> base",
    "PASS  upgrade base -> head again: 2 revisions",
]
LINT_SKIPPED = "SKIP  squawk lint: PostgreSQL only (pass --url)"
VERSIONS = "migrations/versions"
REF = 'references/migrations-live-tables.md "'


def lint(db, passed: str) -> list[str]:
    return [LINT_SKIPPED] if db.name == "sqlite" else [f"PASS  squawk lint: {passed}"]


def run(db, runs, overlay=None):
    return runs.result(db, overlay)


def test_good_project_passes(db, runs):
    assert run(db, runs) == (
        0,
        [*HEAD_0002, *lint(db, "2 revisions, no unsafe operation")],
        "",
    )


@pytest.mark.backends("sqlite")
def test_env_py_that_reads_only_the_ini_url_passes(db, runs):
    assert run(db, runs, "plain_env") == (0, [*HEAD_0002, LINT_SKIPPED], "")


def test_two_heads(db, runs):
    assert run(db, runs, "two_heads") == (
        1,
        [
            f"FAIL  single head: 2 heads: 0003a ({VERSIONS}/0003a_branch_a.py), "
            f"0003b ({VERSIONS}/0003b_branch_b.py); join them: alembic merge heads -m merge",
            "PASS  upgrade base -> head: 4 revisions",
            "SKIP  models match migrations: needs one head and a passing upgrade",
            "PASS  downgrade head -> base",
            "PASS  upgrade base -> head again: 4 revisions",
            *lint(db, "4 revisions, no unsafe operation"),
        ],
        "",
    )


def test_revision_that_raises_on_upgrade(db, runs):
    error = {
        "sqlite": "OperationalError: (sqlite3.OperationalError) no such table: publisher",
        "postgresql": 'ProgrammingError: (psycopg.errors.UndefinedTable) relation "publisher" '
        "does not exist",
    }[db.name]
    assert run(db, runs, "raises") == (
        1,
        [
            "PASS  single head: 0003",
            f"FAIL  upgrade base -> head: revision 0003 "
            f"({VERSIONS}/0003_add_column_to_missing_table.py) raised {error}",
            "SKIP  models match migrations: needs one head and a passing upgrade",
            "SKIP  downgrade head -> base: upgrade failed",
            "SKIP  upgrade base -> head again: upgrade failed",
            *lint(db, "3 revisions, no unsafe operation"),
        ],
        "",
    )


def test_broken_downgrade(db, runs):
    error = {
        "sqlite": "OperationalError: (sqlite3.OperationalError) no such table: author_slug",
        "postgresql": 'ProgrammingError: (psycopg.errors.UndefinedTable) table "author_slug" '
        "does not exist",
    }[db.name]
    assert run(db, runs, "bad_downgrade") == (
        1,
        [
            "PASS  single head: 0003",
            "PASS  upgrade base -> head: 3 revisions",
            "PASS  models match migrations: autogenerate finds no difference",
            f"FAIL  downgrade head -> base: revision 0003 ({VERSIONS}/0003_backfill_slug.py) "
            f"raised {error}",
            "SKIP  upgrade base -> head again: downgrade failed",
            *lint(db, "3 revisions, no unsafe operation"),
        ],
        "",
    )


def test_models_that_do_not_match(db, runs):
    add = "sa.Column('email', sa.String(length=200), nullable=True)"
    assert run(db, runs, "drift") == (
        1,
        [
            *HEAD_0002[:2],
            "FAIL  models match migrations: models differ; autogenerate would write: "
            "with op.batch_alter_table('author', schema=None) as batch_op: "
            f"batch_op.add_column({add})",
            *HEAD_0002[3:],
            *lint(db, "2 revisions, no unsafe operation"),
        ],
        "",
    )


def test_unsafe_operations_on_postgresql(db, runs):
    status, lines, stderr = run(db, runs, "unsafe")
    upgrades = [
        "PASS  single head: 0007",
        "PASS  upgrade base -> head: 7 revisions",
        "PASS  models match migrations: autogenerate finds no difference",
        "PASS  downgrade head -> base",
        "PASS  upgrade base -> head again: 7 revisions",
    ]
    if db.name == "sqlite":  # the same revisions are fine until squawk reads their SQL
        assert (status, lines, stderr) == (0, [*upgrades, LINT_SKIPPED], "")
        return
    not_valid = "instead create it with postgresql_not_valid=True, then VALIDATE CONSTRAINT in a "
    assert (status, lines, stderr) == (
        1,
        [
            *upgrades,
            "FAIL  squawk lint: 5 unsafe operations on a live table",
            f"      revision 0003 ({VERSIONS}/0003_index_author_name.py): "
            "'CREATE INDEX ix_author_name ON author (name);': plain CREATE INDEX blocks writes "
            "to the table until the index is built [require-concurrent-index-creation]; instead "
            "create it with postgresql_concurrently=True inside "
            "op.get_context().autocommit_block() "
            f'(see {REF}PostgreSQL: CREATE INDEX CONCURRENTLY and enum values")',
            f"      revision 0004 ({VERSIONS}/0004_add_book_pages.py): "
            "'ALTER TABLE book ADD COLUMN pages INTEGER NOT NULL;': ADD COLUMN ... NOT NULL "
            "without a default fails on a table that has rows [adding-required-field]; instead "
            f'add it nullable, backfill, then set NOT NULL (see {REF}Adding a NOT NULL column")',
            f"      revision 0005 ({VERSIONS}/0005_author_name_text.py): "
            "'ALTER TABLE author ALTER COLUMN name TYPE TEXT;': ALTER COLUMN TYPE rewrites the "
            "table under an ACCESS EXCLUSIVE lock [changing-column-type]; instead add a new "
            "column, backfill it in batches, switch the app, drop the old one "
            f'(see {REF}Data migrations in batches")',
            f"      revision 0006 ({VERSIONS}/0006_add_book_editor.py): "
            "'ALTER TABLE book ADD CONSTRAINT fk_book_editor_id_author FOREIGN KEY(editor_id) "
            "REFERENCES author (id);': a new FOREIGN KEY scans the table while it blocks writes "
            f"[adding-foreign-key-constraint]; {not_valid}later revision",
            f"      revision 0007 ({VERSIONS}/0007_check_book_pages.py): "
            "'ALTER TABLE book ADD CONSTRAINT ck_book_positive_pages CHECK (pages > 0);': "
            "a new constraint (CHECK) scans the table while it blocks writes "
            f"[constraint-missing-not-valid]; {not_valid}later revision",
        ],
        "",
    )


def test_revision_that_cannot_be_loaded(db, runs):
    status, lines, stderr = run(db, runs, "broken_file")
    assert (status, stderr) == (
        2,
        f"check_migrations: error: {VERSIONS}/0003_unfinished.py: cannot be loaded "
        "(ImportError: cannot import name 'Publisher' from 'app.models' "
        f"({runs.base / db.name / 'broken_file' / 'project' / 'app' / 'models.py'}))\n",
    )


@pytest.mark.backends("sqlite")
def test_models_that_raise_on_import(db, runs):
    status, lines, stderr = run(db, runs, "broken_models")
    assert (status, stderr) == (
        2,
        "check_migrations: error: app/models.py raised NameError: name 'Strng' is not defined\n",
    )


def test_bad_input(installed, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert check(installed, empty) == (
        2,
        [],
        f"check_migrations: error: no alembic.ini in {empty}\n",
    )
    project = make_project(tmp_path)
    status, _, stderr = check(
        installed, project, "--url", "postgresql+psycopg://app@127.0.0.1:5432/production"
    )
    assert (status, stderr) == (
        2,
        "check_migrations: error: --url postgresql+psycopg://app@127.0.0.1:5432/production: "
        "database 'production' does not look like a scratch database (name without "
        "test/scratch/tmp/ci); pass --yes if it is one\n",
    )
    status, _, stderr = check(installed, project, "--url", "sqlite:///test.db")
    assert (status, stderr) == (
        2,
        "check_migrations: error: --url sqlite:///test.db: only PostgreSQL URLs are supported "
        "(SQLite is default)\n",
    )
    # --yes lets any name through; nothing listens on port 1, so the connection is refused.
    production = "postgresql+psycopg://postgres:secret@127.0.0.1:1/production"
    status, _, stderr = check(installed, project, "--url", production, "--yes")
    assert status == 2
    assert stderr.startswith(
        "check_migrations: error: --url postgresql+psycopg://postgres:***@127.0.0.1:1/production: "
        "cannot create a throwaway database (OperationalError: "
    )
    assert stderr.count("\n") == 1
