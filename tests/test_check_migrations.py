"""scripts/check_migrations.py, run as a user runs it (tests/migcheck_tools.py): a copy in an
installed skill folder, started as a subprocess on the fixture projects in
tests/fixtures/migrations/, on SQLite and PostgreSQL. Every run also checks it left nothing
behind. PostgreSQL runs pass the server's maintenance database, `--url .../postgres`, as the
skill's SKILL.md shows: the checker creates and drops its own <name>_migcheck_<random> there.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
from migcheck_tools import (
    Batch,
    check,
    install_checker,
    lock_warning,
    make_project,
    resolves,
    server_url,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    return install_checker(tmp_path_factory.mktemp("skills"))


BOTH = [None, "two_heads", "raises", "bad_downgrade", "drift", "unsafe", "broken_file"]
OVERLAYS = {"sqlite": [*BOTH, "plain_env", "broken_models"], "postgresql": BOTH}
# One more run each, in another --format: (backend, overlay) -> format.
FORMATS = {("sqlite", "raises"): "github", ("postgresql", "unsafe"): "json"}


class Runs:
    """The first test of a backend starts the script on every fixture project of that backend
    (a Batch: three at a time); each test then takes its own result."""

    def __init__(self, installed: Path, base: Path) -> None:
        self.installed, self.base = installed, base
        self.batch = Batch()

    def result(self, db, overlay: str | None, fmt: str = "text") -> tuple[int, list[str], str]:
        if (db.name, overlay, "text") not in self.batch:
            args = [] if db.name == "sqlite" else ["--url", server_url(db.url, "postgres")]
            jobs = [(each, "text") for each in OVERLAYS[db.name]]
            jobs += [(each, f) for (name, each), f in FORMATS.items() if name == db.name]
            for each, form in jobs:
                project = make_project(self.base / db.name / form / (each or "good"), each)
                job = functools.partial(check, self.installed, project, *args, "--format", form)
                self.batch.submit((db.name, each, form), job)
        return self.batch.result((db.name, overlay, fmt))


@pytest.fixture(scope="module")
def runs(installed, tmp_path_factory):
    runs = Runs(installed, tmp_path_factory.mktemp("projects"))
    yield runs
    runs.batch.close()


HEAD_0002 = [
    "PASS  single head: 0002",
    "PASS  upgrade base -> head: 2 revisions",
    "PASS  models match migrations: autogenerate finds no difference",
    "PASS  downgrade head -> base",
    "PASS  upgrade base -> head again: 2 revisions",
]
LINT_SKIPPED = "SKIP  squawk lint: PostgreSQL only (pass --url)"
VERSIONS = "migrations/versions"
REFERENCE = "references/migrations-live-tables.md"  # the page the squawk findings cite


LOCK_TIMEOUT_SET = (
    "lock_timeout"
    in (ROOT / "skills" / "alembic-migrations" / "assets" / "alembic" / "env.py.j2").read_text()
)


def lint(db, revisions: int, locking: int) -> list[str]:
    """The squawk lint's lines for a project outside git that has no unsafe operation, only
    `locking` revisions that take table locks with no lock_timeout in env.py."""
    if db.name == "sqlite":
        return [LINT_SKIPPED]
    scope = f"all {revisions} revisions (not a git repository; --since REV narrows)"
    if LOCK_TIMEOUT_SET:
        return [f"PASS  squawk lint: {scope}, no unsafe operation"]
    return [f"NOTE  squawk lint: {scope}", template_lock_warning(locking)]


def template_lock_warning(locking: int) -> str:
    return lock_warning(40, f"{VERSIONS}/0001_create_author_and_book.py:25", locking)


def run(db, runs, overlay=None):
    return runs.result(db, overlay)


def test_good_project_passes(db, runs):
    assert run(db, runs) == (
        0,
        [*HEAD_0002, *lint(db, 2, locking=2)],
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
            *lint(db, 4, locking=2),
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
            *lint(db, 3, locking=3),
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
            *lint(db, 3, locking=2),
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
            *lint(db, 2, locking=2),
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
    not_valid = (
        "create it with postgresql_not_valid=True, then ALTER TABLE ... VALIDATE CONSTRAINT in "
        "a later transaction (it does not block writes)"
    )
    concurrently = f"(see {REFERENCE}#postgresql-create-index-concurrently-and-enum-values)"
    lock = [] if LOCK_TIMEOUT_SET else [template_lock_warning(7)]
    # 0005 (varchar(100) -> text) changes only the catalog on PostgreSQL: not reported.
    assert (status, lines, stderr) == (
        1,
        [
            *upgrades,
            "NOTE  squawk lint: all 7 revisions (not a git repository; --since REV narrows)",
            "FAIL  squawk require-concurrent-index-creation "
            f"{VERSIONS}/0003_index_author_name.py:18: "
            "CREATE INDEX ix_author_name ON author (name): CREATE INDEX blocks writes to the table "
            "until the index is built; create it with postgresql_concurrently=True inside "
            f"op.get_context().autocommit_block() {concurrently}",
            f"FAIL  squawk adding-required-field {VERSIONS}/0004_add_book_pages.py:19: "
            "ALTER TABLE book ADD COLUMN pages INTEGER NOT NULL: ADD COLUMN ... NOT NULL without a "
            "default fails on a table that has rows; add it nullable, backfill, then set NOT NULL "
            f"(see {REFERENCE}#adding-a-not-null-column)",
            f"FAIL  squawk adding-foreign-key-constraint {VERSIONS}/0006_add_book_editor.py:20: "
            "ALTER TABLE book ADD CONSTRAINT fk_book_editor_id_author FOREIGN KEY(editor_id) "
            "REFERENCES author (id): ADD FOREIGN KEY scans the table while it blocks writes to "
            f"both tables; {not_valid}",
            f"FAIL  squawk constraint-missing-not-valid {VERSIONS}/0007_check_book_pages.py:18: "
            "ALTER TABLE book ADD CONSTRAINT ck_book_positive_pages CHECK (pages > 0): ADD CHECK "
            f"scans the table under an ACCESS EXCLUSIVE lock; {not_valid}",
            *lock,
        ],
        "",
    )


def test_revision_that_cannot_be_loaded(db, runs):
    status, lines, stderr = run(db, runs, "broken_file")
    assert (status, stderr) == (
        2,
        f"check_migrations: error: {VERSIONS}/0003_unfinished.py: cannot be loaded "
        "(ImportError: cannot import name 'Publisher' from 'app.models' "
        f"({runs.base / db.name / 'text' / 'broken_file' / 'project' / 'app' / 'models.py'}))\n",
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
        f"check_migrations: error: no alembic.ini in {empty} (nor migrations/alembic.ini, nor "
        "[tool.alembic] in pyproject.toml); pass -c FILE\n",
    )
    project = make_project(tmp_path)
    status, _, stderr = check(installed, project, "--url", "sqlite:///test.db")
    assert (status, stderr) == (
        2,
        "check_migrations: error: --url sqlite:///test.db: only PostgreSQL URLs are supported "
        "(SQLite is default)\n",
    )
    # The --url database is only where CREATE DATABASE runs: its name is not judged (the
    # checker makes production_migcheck_<random>). Nothing listens on port 1: refused.
    production = "postgresql+psycopg://postgres:secret@127.0.0.1:1/production"
    status, _, stderr = check(installed, project, "--url", production)
    assert status == 2
    assert stderr.startswith(
        "check_migrations: error: --url postgresql+psycopg://postgres:***@127.0.0.1:1/production: "
        "cannot create a throwaway database (OperationalError: "
    )
    assert stderr.count("\n") == 1
    # A driver the checker's Python lacks (pg8000 is not installed here): one line, exit 2.
    status, _, stderr = check(installed, project, "--url", "postgresql+pg8000://u@127.0.0.1/db")
    assert (status, stderr.count("\n")) == (2, 1)
    assert stderr.startswith(
        "check_migrations: error: --url needs the driver postgresql+pg8000 (ModuleNotFoundError: "
    )
    assert check(installed, project, "--drop-stale") == (
        2,
        [],
        "check_migrations: error: --drop-stale needs the --url of the runs it cleans up after\n",
    )
    assert check(installed, project, "-n", "reports") == (
        2,
        [],
        "check_migrations: error: -n reports: alembic.ini has no [reports] section\n",
    )


@pytest.mark.backends("sqlite")
def test_github_format_annotates_the_failing_line(db, runs):
    """--format github: a workflow command per failure, at the revision's line, so the pull
    request shows it; passing checks stay plain lines."""
    revision = "migrations/versions/0003_add_column_to_missing_table.py"
    assert runs.result(db, "raises", "github") == (
        1,
        [
            "PASS  single head: 0003",
            f"::error file=../project/{revision},line=19,title=check_migrations%3A upgrade base "
            f"-> head::revision 0003 ({revision}) raised OperationalError: "
            "(sqlite3.OperationalError) no such table: publisher",
            "SKIP  models match migrations: needs one head and a passing upgrade",
            "SKIP  downgrade head -> base: upgrade failed",
            "SKIP  upgrade base -> head again: upgrade failed",
            LINT_SKIPPED,
        ],
        "",
    )


@pytest.mark.backends("postgresql")
def test_json_format_has_one_object_per_check_and_finding(db, runs):
    """One object per report line: the checks, the lint's NOTE, then each squawk finding with
    its own rule, severity, revision file and line, and the section it cites."""
    status, lines, stderr = runs.result(db, "unsafe", "json")
    records = [json.loads(line) for line in lines]
    assert (status, stderr) == (1, "")
    checks = [(r["rule"], r["status"], r["severity"], r["file"]) for r in records[:6]]
    assert checks == [
        ("single head", "PASS", "info", None),
        ("upgrade base -> head", "PASS", "info", None),
        ("models match migrations", "PASS", "info", None),
        ("downgrade head -> base", "PASS", "info", None),
        ("upgrade base -> head again", "PASS", "info", None),
        ("squawk lint", "NOTE", "info", None),  # which revisions it linted, and why
    ]
    findings = [
        (r["rule"], r["status"], r["severity"], r["file"], r["line"], r["link"])
        for r in records[6:]
    ]
    versions = f"../project/{VERSIONS}"
    concurrently = f"{REFERENCE}#postgresql-create-index-concurrently-and-enum-values"
    lock = [
        ("require-lock-timeout", "WARN", "warning", "../project/migrations/env.py", 40,
         f"{REFERENCE}#lock-timeout-and-retry")
    ]  # fmt: skip
    # 0005 (varchar -> text) only changes the catalog: not a finding.
    assert findings == [
        ("require-concurrent-index-creation", "FAIL", "error",
         f"{versions}/0003_index_author_name.py", 18, concurrently),
        ("adding-required-field", "FAIL", "error",
         f"{versions}/0004_add_book_pages.py", 19, f"{REFERENCE}#adding-a-not-null-column"),
        ("adding-foreign-key-constraint", "FAIL", "error",
         f"{versions}/0006_add_book_editor.py", 20, None),
        ("constraint-missing-not-valid", "FAIL", "error",
         f"{versions}/0007_check_book_pages.py", 18, None),
        *([] if LOCK_TIMEOUT_SET else lock),
    ]  # fmt: skip
    # Each object of the lint says what its text line says, line for line.
    _, text, _ = runs.result(db, "unsafe")
    header, *found = records[5:]
    assert [
        f"NOTE  squawk lint: {header['message']}",
        *(
            f"{r['status']:<5} squawk {r['rule']} {r['file'].removeprefix('../project/')}:"
            f"{r['line']}: {r['message']}"
            for r in found
        ),
    ] == text[5:]
    assert all(resolves(r["link"]) for r in records if r["link"])
    assert set(records[0]) == {"rule", "status", "severity", "file", "line", "message", "link"}
