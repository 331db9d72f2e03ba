"""The squawk lint of check_migrations.py (scripts/squawk_lint.py), run as a user runs it: a copy
of the skill's scripts folder, on a project in its own git repository. main holds revisions
0001-0004; branch `feature` adds 0005-0010 (two committed, one staged, three untracked). One
run per scope (default, --all, --since, and --since in --format github), started together, each
asserted several ways; then the judgement functions, with what PostgreSQL itself does.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from migcheck_tools import (
    Batch,
    anchors,
    check,
    install_checker,
    lock_warning,
    make_project,
    resolves,
    server_url,
)
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "migrations"
SKILL = ROOT / "skills" / "alembic-migrations"
VERSIONS = "migrations/versions"
FINDING = re.compile(r"^(FAIL|WARN)  squawk (\S+) (\S+): (.*)$")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def load_squawk_lint():
    spec = importlib.util.spec_from_file_location("squawk_lint", SKILL / "scripts/squawk_lint.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["squawk_lint"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


squawk_lint = load_squawk_lint()


def git(folder: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=folder, env={**os.environ, **GIT_ENV}, check=True)


def review_project(base: Path) -> Path:
    """good/ + review_main/ committed on main; review_branch/ on branch feature."""
    project = make_project(base, "review_main")
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "released")
    git(project, "checkout", "-qb", "feature")
    shutil.copytree(FIXTURES / "review_branch", project, dirs_exist_ok=True)
    git(
        project,
        "add",
        f"{VERSIONS}/0005_unique_book_title.py",
        f"{VERSIONS}/0006_book_tag_primary_key.py",
    )
    git(project, "commit", "-qm", "under review")
    git(project, "add", f"{VERSIONS}/0007_book_editor_and_title_check.py")  # staged only
    return project  # 0008-0010 and app/models.py: not added


SCOPES = {
    "default": [],
    "all": ["--all"],
    "since": ["--since", "0007"],
    "bad": ["--since", "x9"],
    "github": ["--since", "0007", "--format", "github"],
}


class Runs:
    """Every scope starts on the first test that asks (each run in its own copy of the project)."""

    def __init__(self, installed: Path, base: Path) -> None:
        self.installed, self.base = installed, base
        self.batch = Batch(workers=len(SCOPES))

    def result(self, db, scope: str) -> tuple[int, list[str], str]:
        if scope not in self.batch:
            url = server_url(db.url, "postgres")  # the checker makes its own database there
            for name, args in SCOPES.items():
                project = review_project(self.base / name)
                self.batch.submit(
                    name, functools.partial(check, self.installed, project, "--url", url, *args)
                )
        return self.batch.result(scope)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    return install_checker(tmp_path_factory.mktemp("skills"))


@pytest.fixture(scope="module")
def runs(installed, tmp_path_factory):
    runs = Runs(installed, tmp_path_factory.mktemp("review"))
    yield runs
    runs.batch.close()


UPGRADES = [
    "PASS  single head: 0010",
    "PASS  upgrade base -> head: 10 revisions",
    "PASS  models match migrations: autogenerate finds no difference",
    "PASS  downgrade head -> base",
    "PASS  upgrade base -> head again: 10 revisions",
]
DATA_MIGRATION = (
    f"NOTE  squawk lint: revision 0009 not linted: {VERSIONS}/0009_trim_titles.py:20 raised "
    "AttributeError: 'NoneType' object has no attribute 'all' in --sql mode, which has no "
    "database to read rows from (`if op.get_context().as_sql:` can emit one statement there "
    "instead)"
)
# (status, rule, revision file:line, statement) of every finding on 0005-0010, in order.
BRANCH_FINDINGS = [
    (
        "FAIL",
        "disallowed-unique-constraint",
        f"{VERSIONS}/0005_unique_book_title.py:18",
        "ALTER TABLE book ADD CONSTRAINT uq_book_title UNIQUE (title)",
    ),
    (
        "FAIL",
        "adding-serial-primary-key-field",
        f"{VERSIONS}/0006_book_tag_primary_key.py:18",
        "ALTER TABLE book_tag ADD CONSTRAINT pk_book_tag PRIMARY KEY (book_id, tag)",
    ),
    (
        "FAIL",
        "adding-foreign-key-constraint",
        f"{VERSIONS}/0007_book_editor_and_title_check.py:20",
        "ALTER TABLE book ADD CONSTRAINT fk_book_editor_id_author FOREIGN KEY(editor_id) "
        "REFERENCES author (id)",
    ),
    (
        "FAIL",
        "constraint-missing-not-valid",
        f"{VERSIONS}/0007_book_editor_and_title_check.py:21",
        "ALTER TABLE book ADD CONSTRAINT ck_book_title_not_blank CHECK (title <> '')",
    ),
    # 0008: the varchar widening (line 20) and varchar -> text (21) are not findings, nor is
    # SET NOT NULL on pages (25), proven by 0004's validated CHECK: only int -> bigint and
    # SET NOT NULL on editor_id are.
    (
        "FAIL",
        "changing-column-type",
        f"{VERSIONS}/0008_types_and_not_null.py:23",
        "ALTER TABLE book ALTER COLUMN pages TYPE BIGINT",
    ),
    (
        "FAIL",
        "adding-not-nullable-field",
        f"{VERSIONS}/0008_types_and_not_null.py:27",
        "ALTER TABLE book ALTER COLUMN editor_id SET NOT NULL",
    ),
    (
        "WARN",
        "ban-drop-column",
        f"{VERSIONS}/0010_drop_slug_rename_tag.py:19",
        "ALTER TABLE author DROP COLUMN slug",
    ),
    (
        "FAIL",
        "renaming-column",
        f"{VERSIONS}/0010_drop_slug_rename_tag.py:20",
        "ALTER TABLE book_tag RENAME tag TO label",
    ),
]
OLD_INDEX = (
    "FAIL",
    "require-concurrent-index-creation",
    f"{VERSIONS}/0003_book_tag_and_author_name_index.py:25",
    "CREATE INDEX ix_author_name ON author (name)",
)
# The safe way each finding names, and the section it links.
ADVICE = {
    "disallowed-unique-constraint": (
        "CREATE UNIQUE INDEX CONCURRENTLY",
        "UNIQUE USING INDEX",
        "#postgresql-create-index-concurrently-and-enum-values",
    ),
    "adding-serial-primary-key-field": (
        "unique index CONCURRENTLY",
        "PRIMARY KEY USING INDEX",
        "#postgresql-create-index-concurrently-and-enum-values",
    ),
    "adding-foreign-key-constraint": ("postgresql_not_valid=True", "VALIDATE CONSTRAINT"),
    "constraint-missing-not-valid": ("postgresql_not_valid=True", "VALIDATE CONSTRAINT"),
    "changing-column-type": ("add a new column, backfill", "#data-migrations-in-batches"),
    "adding-not-nullable-field": (
        "CHECK (column IS NOT NULL) NOT VALID",
        "VALIDATE CONSTRAINT",
        "then SET NOT NULL",
        "drop the CHECK",
        "#adding-a-not-null-column",
    ),
    "ban-drop-column": (
        "release code that no longer uses the column first",
        "#dropping-or-renaming-a-column-on-a-live-app",
    ),
    "renaming-column": (
        "add the new column, write both, backfill, switch reads, drop the old one",
        "#dropping-or-renaming-a-column-on-a-live-app",
    ),
    "require-concurrent-index-creation": (
        "postgresql_concurrently=True",
        "autocommit_block()",
        "#postgresql-create-index-concurrently-and-enum-values",
    ),
}
LOCK_TIMEOUT_SET = "lock_timeout" in (SKILL / "assets/alembic/env.py.j2").read_text()


def findings(lines: list[str]) -> list[tuple[str, str, str, str]]:
    """(status, rule, where, statement) of each finding line; checks its advice on the way."""
    found = []
    for line in lines:
        match = FINDING.match(line)
        if match is None or match[2] == "require-lock-timeout":
            continue
        status, rule, where, rest = match.groups()
        statement = rest.split(": ")[0]
        for words in ADVICE[rule]:
            assert words in rest, (rule, words, rest)
        for link in re.findall(r"\(see (\S+)\)$", rest):
            assert resolves(link), link
        if rule in ("disallowed-unique-constraint", "adding-serial-primary-key-field"):
            assert "postgresql_not_valid" not in rest  # PostgreSQL refuses it there
        found.append((status, rule, where, statement))
    return found


def lock_warnings(lines: list[str]) -> list[str]:
    return [line for line in lines if "squawk require-lock-timeout" in line]


@pytest.mark.backends("postgresql")
def test_by_default_only_the_revisions_under_review_are_linted(db, runs):
    status, lines, stderr = runs.result(db, "default")
    assert (status, stderr) == (1, "")
    assert lines[:6] == [
        *UPGRADES,
        "NOTE  squawk lint: 6 revisions new or changed since the merge-base with main "
        "(0005, 0006, 0007, 0008, 0009, 0010)",
    ]
    assert findings(lines) == BRANCH_FINDINGS  # 0003's plain CREATE INDEX, released: not here
    assert DATA_MIGRATION in lines  # and 0010, after it, is still linted
    assert (
        lines.index(DATA_MIGRATION)
        == lines.index(next(line for line in lines if "0010_drop_slug" in line)) - 1
    )


@pytest.mark.backends("postgresql")
def test_all_lints_every_revision(db, runs):
    status, lines, stderr = runs.result(db, "all")
    assert (status, stderr) == (1, "")
    assert lines[5] == "NOTE  squawk lint: all 10 revisions (--all)"
    assert findings(lines) == [OLD_INDEX, *BRANCH_FINDINGS]
    assert DATA_MIGRATION in lines


@pytest.mark.backends("postgresql")
def test_since_lints_the_revisions_after_it(db, runs):
    status, lines, stderr = runs.result(db, "since")
    assert (status, stderr) == (1, "")
    assert lines[5] == "NOTE  squawk lint: 3 revisions after 0007 (0008, 0009, 0010)"
    # pages SET NOT NULL stays proven by 0004, which is not linted but read.
    assert findings(lines) == BRANCH_FINDINGS[4:]


def annotation(line: str) -> str:
    """The workflow command --format github prints for a text line of the squawk lint: at the
    revision's file (from where the checker ran) and line, titled with the squawk rule."""
    title = "title=check_migrations%3A "
    finding = FINDING.match(line)
    if finding is not None:
        status, rule, where, message = finding.groups()
        file, number = where.rsplit(":", 1)
        level = {"FAIL": "error", "WARN": "warning"}[status]
        return f"::{level} file=../project/{file},line={number},{title}{rule}::{message}"
    message = line.removeprefix("NOTE  squawk lint: ")
    if not_linted := re.match(r"revision \S+ not linted: (\S+):(\d+) raised", message):
        file, number = not_linted.groups()
        return f"::notice file=../project/{file},line={number},{title}squawk lint::{message}"
    return f"::notice {title}squawk lint::{message}" if line.startswith("NOTE  ") else line


@pytest.mark.backends("postgresql")
def test_github_format_annotates_each_finding_at_its_revision_line(db, runs):
    _, text, _ = runs.result(db, "since")
    status, lines, stderr = runs.result(db, "github")
    assert (status, stderr) == (1, "")
    assert lines == [annotation(line) for line in text]
    levels = [line.split(" ")[0] for line in lines[5:]]
    assert levels == ["::notice", "::error", "::error", "::notice", "::warning", "::error"]
    assert lines[:5] == UPGRADES  # passing checks stay plain lines
    assert lines[8].startswith(
        f"::notice file=../project/{VERSIONS}/0009_trim_titles.py,line=20,"
    )  # the data migration that was not linted
    assert lines[9].startswith(
        f"::warning file=../project/{VERSIONS}/0010_drop_slug_rename_tag.py,line=19,"
        "title=check_migrations%3A ban-drop-column::ALTER TABLE author DROP COLUMN slug: "
    )


@pytest.mark.backends("postgresql")
def test_since_an_unknown_revision_is_bad_input(db, runs):
    status, lines, stderr = runs.result(db, "bad")
    assert status == 2
    assert stderr.startswith("check_migrations: error: --since x9: ")
    assert stderr.count("\n") == 1


@pytest.mark.backends("postgresql")
def test_a_missing_lock_timeout_is_one_warning_on_env_py(db, runs):
    _, lines, _ = runs.result(db, "since")
    if LOCK_TIMEOUT_SET:  # env.py of the template sets it: nothing to say
        assert lock_warnings(lines) == []
        return
    assert lock_warnings(lines) == [
        lock_warning(40, f"{VERSIONS}/0008_types_and_not_null.py:20", 2)
    ]
    assert lines[-1] == lock_warnings(lines)[0]


def test_scope_and_all_are_exclusive(installed, tmp_path):
    project = make_project(tmp_path)
    status, _, stderr = check(installed, project, "--all", "--since", "0001")
    assert (status, stderr) == (
        2,
        "check_migrations: error: argument --since: not allowed with argument --all (see --help)\n",
    )


@pytest.mark.backends("postgresql")
def test_the_scripts_folder_gets_no_bytecode(db, installed, runs):
    """Importing squawk_lint beside the script must not write __pycache__ there."""
    for scope in SCOPES:
        runs.result(db, scope)
    assert sorted(path.name for path in installed.parent.iterdir()) == [
        "check_migrations.py",
        "render_alembic.py",
        "squawk_lint.py",
    ]


# ---- which revisions are under review --------------------------------------------------------


def test_without_a_default_branch_every_revision_is_linted(tmp_path):
    assert squawk_lint.under_review(tmp_path) == (None, "not a git repository")
    git(tmp_path, "init", "-q", "-b", "trunk")
    assert squawk_lint.under_review(tmp_path) == (None, "no commit yet")
    (tmp_path / "a.py").write_text("a = 1\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "a")
    assert squawk_lint.under_review(tmp_path) == (
        None,
        "no origin/HEAD, origin/main, main or master branch",
    )
    git(tmp_path, "branch", "master")
    (tmp_path / "a.py").write_text("a = 2\n")  # changed, not committed
    (tmp_path / "b.py").write_text("b = 1\n")  # untracked
    (tmp_path / "c.py").write_text("c = 1\n")
    (tmp_path / ".gitignore").write_text("c.py\n")
    files, why = squawk_lint.under_review(tmp_path)
    assert why == "since the merge-base with master"
    assert files == {(tmp_path / name).resolve() for name in ("a.py", "b.py", ".gitignore")}


# ---- the judgement, against PostgreSQL -------------------------------------------------------

TYPE_CHANGES = [
    ("VARCHAR(40)", "VARCHAR(64)"),
    ("VARCHAR(40)", "VARCHAR(40)"),
    ("VARCHAR(40)", "VARCHAR"),
    ("VARCHAR(40)", "TEXT"),
    ("VARCHAR", "TEXT"),
    ("TEXT", "VARCHAR"),
    ("TEXT", "VARCHAR(64)"),
    ("VARCHAR(64)", "VARCHAR(40)"),
    ("NUMERIC(10, 2)", "NUMERIC(12, 2)"),
    ("NUMERIC(10, 2)", "NUMERIC"),
    ("NUMERIC(10, 2)", "NUMERIC(12, 3)"),
    ("NUMERIC(10, 2)", "NUMERIC(8, 2)"),
    ("NUMERIC", "NUMERIC(12, 2)"),
    ("INTEGER", "BIGINT"),
    ("VARCHAR(40)", "CHAR(64)"),
    ("CHAR(10)", "CHAR(20)"),
]


@pytest.mark.backends("postgresql")
def test_a_type_change_counts_as_a_rewrite_exactly_when_postgresql_rewrites(db):
    """The table's relfilenode changes when PostgreSQL rewrites it: the lint must agree."""
    engine = create_engine(db.url, isolation_level="AUTOCOMMIT")
    measured, judged = {}, {}
    relfilenode = text("select relfilenode from pg_class where relname = 'retype'")
    with engine.connect() as conn:
        for old, new in TYPE_CHANGES:
            conn.execute(text("drop table if exists retype"))
            conn.execute(text(f"create table retype (id int primary key, v {old})"))
            conn.execute(text("insert into retype select g, 1 from generate_series(1, 10) g"))
            before = conn.scalar(relfilenode)
            conn.execute(text(f"alter table retype alter column v type {new}"))
            measured[old, new] = conn.scalar(relfilenode) != before
            judged[old, new] = squawk_lint.rewrites(old, new)
    engine.dispose()
    assert judged == measured
    assert list(measured.values()).count(False) == 8  # the cases the lint lets through


@pytest.mark.backends("postgresql")
def test_the_constraint_advice_is_what_postgresql_accepts(db):
    """NOT VALID is refused for UNIQUE and PRIMARY KEY; USING INDEX is their way; CHECK and
    FOREIGN KEY take NOT VALID and a later VALIDATE. A dropped column breaks the ORM's SELECT."""
    from sqlalchemy import Column, Integer, MetaData, String, Table, select
    from sqlalchemy.exc import DBAPIError, ProgrammingError

    engine = create_engine(db.url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("create table parent (id int primary key)"))
        conn.execute(text("create table item (id int not null, code text, parent_id int)"))
        for kind in ("unique (code)", "primary key (id)"):
            with pytest.raises(DBAPIError, match="cannot be marked NOT VALID"):
                conn.execute(text(f"alter table item add constraint c {kind} not valid"))
        conn.execute(text("create unique index concurrently uq_item_code on item (code)"))
        conn.execute(
            text("alter table item add constraint uq_item_code unique using index uq_item_code")
        )
        conn.execute(text("create unique index concurrently pk_item on item (id)"))
        conn.execute(
            text("alter table item add constraint pk_item primary key using index pk_item")
        )
        conn.execute(text("alter table item add constraint ck check (code <> '') not valid"))
        conn.execute(
            text(
                "alter table item add constraint fk foreign key (parent_id) "
                "references parent (id) not valid"
            )
        )
        conn.execute(text("alter table item validate constraint ck"))
        conn.execute(text("alter table item validate constraint fk"))
        kinds = conn.execute(
            text(
                "select conname, contype, convalidated from pg_constraint "
                "where conrelid = 'item'::regclass order by conname"
            )
        ).all()
        assert kinds == [
            ("ck", "c", True),
            ("fk", "f", True),
            ("pk_item", "p", True),
            ("uq_item_code", "u", True),
        ]
        item = Table("item", MetaData(), Column("id", Integer), Column("code", String))
        conn.execute(text("alter table item drop column code"))
        with pytest.raises(ProgrammingError, match="column item.code does not exist"):
            conn.execute(select(item))
    engine.dispose()


@pytest.mark.parametrize(
    ("statement", "kind"),
    [
        ("ALTER TABLE book ADD CONSTRAINT uq_book_title UNIQUE (title);", "UNIQUE"),
        ("ALTER TABLE t ADD CONSTRAINT pk_t PRIMARY KEY (a, b);", "PRIMARY KEY"),
        ("ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY(x) REFERENCES u (id);", "FOREIGN KEY"),
        ("ALTER TABLE t ADD CONSTRAINT \"unique\" CHECK (s <> 'UNIQUE');", "CHECK"),
        ("ALTER TABLE t ADD CHECK (a > 0);", "CHECK"),
        ("ALTER TABLE t ADD COLUMN d BIGINT UNIQUE;", "UNIQUE"),
        ("ALTER TABLE t ADD COLUMN e BIGINT REFERENCES u (id);", "FOREIGN KEY"),
        ("ALTER TABLE t ADD CONSTRAINT ex EXCLUDE USING gist (r WITH &&);", "EXCLUDE"),
    ],
)
def test_the_constraint_kind_comes_from_the_flagged_statement(statement, kind):
    assert squawk_lint.constraint_kind(statement) == kind


def test_set_not_null_is_proven_only_by_a_valid_check():
    add = "ALTER TABLE book ADD CONSTRAINT ck_nn CHECK (pages IS NOT NULL) NOT VALID"
    validate = "ALTER TABLE book VALIDATE CONSTRAINT ck_nn"
    proven = squawk_lint.valid_not_null_checks
    assert proven([add]) == set()
    assert proven([add, validate]) == {("book", "pages")}
    assert proven([add.replace(" NOT VALID", "")]) == {("book", "pages")}
    assert proven([add, validate, "ALTER TABLE book DROP CONSTRAINT ck_nn"]) == set()
    assert proven([add.replace("book", "author"), validate]) == set()


def constants(path: Path, *names: str) -> list:
    """Module-level constants of a script, read without importing it."""
    tree = ast.parse(path.read_text())
    found = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
        if node.targets[0].id in names
    }
    return [found[name] for name in names]


def test_every_linked_section_exists():
    """The squawk findings cite squawk_lint.REFERENCE, a failed check its section of
    check_migrations.REFERENCE (json, github): every anchor is a heading of that page."""
    rules = [
        *squawk_lint.RULES.values(),
        *squawk_lint.CONSTRAINTS.values(),
        squawk_lint.LOCK_TIMEOUT,
    ]
    linked = {rule.section for rule in rules if rule.section}
    assert linked and linked <= anchors(SKILL / squawk_lint.REFERENCE)
    page, sections = constants(SKILL / "scripts/check_migrations.py", "REFERENCE", "SECTIONS")
    assert sections and set(sections.values()) <= anchors(SKILL / page)


def test_the_reference_postgresql_recipes_pass(tmp_path, example, monkeypatch):
    """examples/migrations/versions_pg (CREATE INDEX CONCURRENTLY in an autocommit_block, ADD
    VALUE) gives no finding; offline, so no database needed."""
    from alembic.script import ScriptDirectory

    monkeypatch.delenv("DATABASE_URL", raising=False)
    commands = example("migr_commands")
    project = commands.new_project(tmp_path / "project", versions="versions_pg")
    config = commands.alembic_config(project, "postgresql+psycopg://nobody@localhost/test")
    lines: list[tuple[str, str, str]] = []
    squawk_lint.lint(
        project,
        config,
        ScriptDirectory.from_config(config),
        lambda status, check, why="", **finding: lines.append((status, check, why)),
        everything=True,
    )
    others = [(status, check) for status, check, _ in lines if "lock-timeout" not in check]
    assert others == [("PASS" if LOCK_TIMEOUT_SET else "NOTE", "squawk lint")]
