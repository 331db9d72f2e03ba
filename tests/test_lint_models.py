"""scripts/lint_models.py, run as the installed skill runs it: a copy, in its own folder, from
another working directory. Each bad fixture makes each rule fire once at a known line; the good
fixture and the project's examples/ are clean; and the foreign-key-index rule agrees with what
the database's own inspector reports on SQLite and PostgreSQL. Fixture projects reproduce real
layouts (SQLModel, Flask-SQLAlchemy, a namespace package, Alembic folders, a SQLAlchemy 1.4
project) and the false positives older versions reported; the output formats and the CI
baseline are checked end to end.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import legacy_venvs
import pytest
from sqlalchemy import create_engine, inspect

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "skills" / "python-database-patterns" / "scripts" / "lint_models.py"
FIXTURES = ROOT / "tests" / "fixtures" / "lint"
FK_FINDING = re.compile(r"FK001 \[warning\] foreign key (\w+)\(([\w, ]+)\)")


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def findings(self) -> list[tuple[str, int, str]]:
        found = []
        for line in self.stdout.splitlines():
            where, rest = line.split(": ", 1)
            path, lineno = where.rsplit(":", 1)
            found.append((path, int(lineno), rest.split()[0]))
        return found


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The script as the skill ships it: skills/python-database-patterns/scripts/lint_models.py."""
    folder = tmp_path_factory.mktemp("skills") / "python-database-patterns" / "scripts"
    folder.mkdir(parents=True)
    return Path(shutil.copy(SCRIPT, folder / "lint_models.py"))


_runs: dict[tuple, Run] = {}
# The linter must keep bytecode out of the project by itself, whatever the caller's environment.
CALLER_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def lint(
    script: Path, *args: str, cwd: Path, figures=None, python=sys.executable, env=None, fresh=False
) -> Run:
    """Run the linter once per arguments and folder (fresh=True: again, the files changed)."""
    key = (args, cwd, str(python), tuple(sorted((env or {}).items())))
    if fresh or key not in _runs:
        start = time.perf_counter()
        done = subprocess.run(
            [str(python), str(script), *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=60,
            env={**CALLER_ENV, **(env or {})},
        )
        _runs[key] = Run(done.returncode, done.stdout, done.stderr, time.perf_counter() - start)
    run = _runs[key]
    if figures is not None:
        figures.record(f"lint_models.py {' '.join(args)} in {cwd.name}/ (s)", f"{run.seconds:.2f}")
    return run


def test_good_fixture_is_clean(installed, figures):
    run = lint(installed, ".", cwd=FIXTURES / "good", figures=figures)
    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")


BAD_FINDINGS = [
    ("blog_models.py", 11, "NC001"),
    ("blog_models.py", 20, "TZ001"),
    ("blog_models.py", 28, "FK001"),
    ("blog_models.py", 29, "ASY001"),
    ("blog_service.py", 17, "SQL001"),
    ("blog_service.py", 22, "LEG001"),  # line 26 has the same call, silenced inline
    ("legacy_models.py", 9, "LEG002"),
    ("legacy_models.py", 9, "NC001"),  # declarative_base() without metadata=
    ("legacy_models.py", 16, "LEG003"),
    ("legacy_models.py", 18, "LEG004"),
]
DEFAULT_BAD_FINDINGS = [f for f in BAD_FINDINGS if not f[2].startswith("LEG")]


def test_each_rule_fires_once(installed, figures):
    everything = lint(installed, "--select", "ALL", ".", cwd=FIXTURES / "bad", figures=figures)
    assert everything.returncode == 1, everything.stderr
    assert everything.stderr == ""
    assert everything.findings == BAD_FINDINGS


def test_legacy_style_rules_are_off_by_default(installed):
    default = lint(installed, ".", cwd=FIXTURES / "bad")
    assert (default.returncode, default.stderr) == (1, "")
    assert default.findings == DEFAULT_BAD_FINDINGS
    severities = re.findall(r"^\S+: (\w+) \[(\w+)\] ", default.stdout, re.MULTILINE)
    assert severities == [
        ("NC001", "warning"),
        ("TZ001", "warning"),
        ("FK001", "warning"),
        ("ASY001", "warning"),
        ("SQL001", "error"),
        ("NC001", "warning"),
    ]


def test_select_and_ignore_take_codes_and_prefixes(installed):
    cwd = FIXTURES / "bad"
    legacy = lint(installed, "--no-import", "--select", "LEG", ".", cwd=cwd)
    assert legacy.findings == [f for f in BAD_FINDINGS if f[2].startswith("LEG")]
    narrowed = lint(
        installed, "--no-import", "--select", "FK,TZ001", "--ignore", "FK001", ".", cwd=cwd
    )
    assert narrowed.findings == [("blog_models.py", 20, "TZ001")]
    added = lint(
        installed, "--no-import", "--extend-select", "LEG002", "--ignore", "NC", ".", cwd=cwd
    )
    assert [f[2] for f in added.findings] == ["TZ001", "FK001", "ASY001", "SQL001", "LEG002"]
    unknown = lint(installed, "--select", "FK9", ".", cwd=cwd)
    assert (unknown.returncode, unknown.stdout) == (2, "")
    assert unknown.stderr.splitlines() == ["lint_models.py: error: no rule code starts with FK9"]


def test_every_finding_links_a_reference_section(installed):
    run = lint(installed, "--select", "ALL", ".", cwd=FIXTURES / "bad")
    links = {line.rsplit("(see ", 1)[1].rstrip(")") for line in run.stdout.splitlines()}
    assert len(links) >= 5
    for link in links:
        page, anchor = link.split("#")
        path = ROOT / page
        if not path.exists():  # references/models.md is written on another branch
            assert page == "references/models.md", link
            continue
        headings = [line[3:] for line in path.read_text().splitlines() if line.startswith("## ")]
        slugs = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}
        assert anchor in slugs, f"{link}: no such section"


def test_unimportable_module_is_a_note_and_ast_checks_still_run(installed, figures):
    run = lint(installed, ".", cwd=FIXTURES / "unimportable", figures=figures)
    assert run.stderr.splitlines() == [
        "note: could not import app_models.py: KeyError: 'LINT_FIXTURE_UNSET_VARIABLE'"
    ]
    assert run.returncode == 1
    assert run.findings == [("app_models.py", 28, "FK001"), ("app_models.py", 29, "TZ001")]


def test_metadata_sees_foreign_keys_the_ast_cannot(installed, figures):
    cwd = FIXTURES / "fk_metadata"
    imported = lint(installed, ".", cwd=cwd, figures=figures)
    ast_only = lint(installed, "--no-import", ".", cwd=cwd, figures=figures)
    # The composite foreign key (line 24, the class) is only visible in the built MetaData.
    assert imported.findings == [
        ("billing_models.py", 24, "FK001"),
        ("billing_models.py", 38, "FK001"),
    ]
    assert ast_only.findings == [("billing_models.py", 38, "FK001")]


def _load(path: Path):
    name = f"lint_fixture_{path.parent.name}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # SQLAlchemy resolves the string annotations through it
    spec.loader.exec_module(module)
    return module


def _unindexed_by_database(url) -> set[tuple[str, tuple[str, ...]]]:
    """Foreign keys whose columns lead no index, primary key or unique constraint, per inspector."""
    engine = create_engine(url)
    try:
        insp = inspect(engine)
        found = set()
        for table in insp.get_table_names():
            leading = [ix["column_names"] for ix in insp.get_indexes(table)]
            leading += [uq["column_names"] for uq in insp.get_unique_constraints(table)]
            leading.append(insp.get_pk_constraint(table)["constrained_columns"])
            for fk in insp.get_foreign_keys(table):
                cols = fk["constrained_columns"]
                if not any(set(lead[: len(cols)]) == set(cols) for lead in leading):
                    found.add((table, tuple(sorted(cols))))
        return found
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "fixture", ["good/shop_models.py", "fk_metadata/billing_models.py", "bad/blog_models.py"]
)
def test_fk_rule_matches_the_database_inspector(db, installed, fixture):
    path = FIXTURES / fixture
    module = _load(path)
    engine = create_engine(db.sa_url)
    try:
        module.Base.metadata.create_all(engine)
    finally:
        engine.dispose()
    run = lint(installed, ".", cwd=path.parent)
    from_lint = {
        (table, tuple(sorted(c.strip() for c in cols.split(","))))
        for table, cols in FK_FINDING.findall(run.stdout)
    }
    assert from_lint == _unindexed_by_database(db.sa_url)
    assert bool(from_lint) == (fixture != "good/shop_models.py")


def test_examples_lint_clean(installed, figures):
    run = lint(installed, str(ROOT / "examples"), cwd=ROOT, figures=figures)
    assert run.stderr == ""
    assert run.returncode == 0, run.stdout


def test_bad_input(installed, tmp_path):
    missing = lint(installed, "no/such/models.py", cwd=tmp_path)
    assert missing.returncode == 2
    assert missing.stdout == ""
    assert missing.stderr.strip().splitlines() == [
        "lint_models.py: error: no such file or directory: no/such/models.py"
    ]
    helped = lint(installed, "--help", cwd=tmp_path)
    assert helped.returncode == 0
    assert "Exit status: 0 clean, 1 findings, 2 bad input." in helped.stdout
    assert re.search(r"^  FK001  warning foreign key", helped.stdout, re.MULTILINE)
    assert re.search(r"^  LEG001 style .*\(off by default\)$", helped.stdout, re.MULTILINE)


# ---- real project layouts


SQLMODEL_FINDINGS = [
    ("app/models.py", 20, "NC001"),  # SQLModel.metadata, reported at the first table class
    ("app/models.py", 38, "FK001"),  # Hero.owner_id = Field(foreign_key=...) without index
    ("app/models.py", 48, "FK001"),  # MissionBase.hero_id, a column of the Mission table
    ("app/models.py", 53, "TZ001"),  # Field(sa_type=DateTime())
]


def test_sqlmodel_tables_from_metadata_and_source_alike(installed, figures):
    cwd = FIXTURES / "sqlmodel_app"
    imported = lint(installed, ".", cwd=cwd, figures=figures)
    assert (imported.returncode, imported.stderr) == (1, "")
    assert imported.findings == SQLMODEL_FINDINGS
    assert "foreign key hero(owner_id) has no index" in imported.stdout
    assert "(mission.ended_at)" in imported.stdout  # named by the imported MetaData
    source_only = lint(installed, "--no-import", ".", cwd=cwd)
    assert source_only.findings == SQLMODEL_FINDINGS


def test_migration_folders_are_skipped_unless_asked(installed):
    cwd = FIXTURES / "sqlmodel_app"
    assert not any("alembic/" in f[0] for f in lint(installed, ".", cwd=cwd).findings)
    included = lint(installed, "--include-migrations", "--no-import", ".", cwd=cwd)
    assert included.findings == [
        ("alembic/versions/0001_create_team.py", 15, "TZ001"),
        *SQLMODEL_FINDINGS,
    ]
    # A migrations folder given by name is linted: the user asked for it.
    named = lint(installed, "--no-import", "alembic", cwd=cwd)
    assert named.findings == [("alembic/versions/0001_create_team.py", 15, "TZ001")]


def test_flask_sqlalchemy_db_model(installed, figures):
    cwd = FIXTURES / "flask_app"
    run = lint(installed, ".", cwd=cwd, figures=figures)
    assert (run.returncode, run.stderr) == (1, "")
    assert run.findings == [
        ("app/__init__.py", 6, "NC001"),
        ("app/models.py", 18, "TZ001"),
        ("app/models.py", 19, "FK001"),  # migrations/versions/ is not linted by default
    ]
    assert "foreign key post(user_id)" in run.stdout  # the table name Flask-SQLAlchemy chose
    legacy = lint(installed, "--no-import", "--select", "LEG", ".", cwd=cwd)
    assert {code for _, _, code in legacy.findings} == {"LEG001", "LEG003", "LEG004"}


@pytest.fixture(scope="module")
def namespace_copy(tmp_path_factory) -> Path:
    """The namespace-package fixture copied where a stray __pycache__ would show."""
    target = tmp_path_factory.mktemp("namespace") / "namespace_app"
    shutil.copytree(FIXTURES / "namespace_app", target)
    return target


@pytest.mark.parametrize("installed_project", [False, True], ids=["plain", "on-sys-path"])
def test_namespace_package_imports_once_and_writes_nothing(
    installed, namespace_copy, installed_project
):
    # On sys.path (pip install -e, PYTHONPATH), a file imported once by its path-derived name
    # and once by the project's own dotted name would define its tables twice.
    env = {"PYTHONPATH": str(namespace_copy / "src")} if installed_project else None
    run = lint(installed, "src/shop", cwd=namespace_copy, env=env)
    assert run.stderr == ""
    assert run.findings == [
        ("src/shop/models/order.py", 12, "FK001"),  # the composite key: MetaData only
        ("src/shop/models/order.py", 25, "TZ001"),
    ]
    assert "purchase_order(customer_id, customer_region)" in run.stdout
    assert sorted(p.name for p in namespace_copy.rglob("__pycache__")) == []


def test_a_mixin_column_is_one_finding_for_all_its_tables(installed):
    cwd = FIXTURES / "mixins"
    imported = lint(installed, ".", cwd=cwd)
    expected = [("tenant_models.py", 22, "TZ001"), ("tenant_models.py", 26, "FK001")]
    assert (imported.findings, imported.stderr) == (expected, "")
    assert "(invoice.created_at and 1 more)" in imported.stdout
    assert "foreign key invoice(tenant_id) (and 1 more tables)" in imported.stdout
    assert lint(installed, "--no-import", ".", cwd=cwd).findings == expected


def test_known_false_positives_stay_quiet(installed):
    run = lint(installed, ".", cwd=FIXTURES / "false_positives")
    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")


def test_sql001_flags_data_not_constants_or_identifiers(installed):
    path = FIXTURES / "sql_text" / "queries.py"
    marked = [n for n, line in enumerate(path.read_text().splitlines(), 1) if "# SQL001" in line]
    run = lint(installed, "--no-import", ".", cwd=path.parent)
    assert run.findings == [("queries.py", n, "SQL001") for n in marked]
    assert len(marked) == 6


def test_import_failures_are_one_note(installed):
    run = lint(installed, ".", cwd=FIXTURES / "unimportable_many")
    assert (run.returncode, run.stdout) == (0, "")
    assert run.stderr.splitlines() == [
        "note: 3 files could not be imported, so only the source checks ran for them; "
        "first: author_models.py: KeyError: 'LINT_FIXTURE_UNSET_VARIABLE'"
    ]


# ---- SQLAlchemy 1.4


LEGACY_PINS = ("sqlalchemy==1.4.54", "sqlmodel==0.0.11")  # the last SQLModel for SQLAlchemy 1.4


@pytest.fixture(scope="module")
def legacy_python() -> Path:
    """A virtualenv with SQLAlchemy 1.4 and an old SQLModel, made once into a user cache."""
    return legacy_venvs.legacy_python(LEGACY_PINS)


def test_sqlalchemy_14_project_gets_version_neutral_findings(installed, legacy_python, figures):
    run = lint(installed, "--select", "ALL", ".", cwd=FIXTURES / "legacy14", python=legacy_python)
    figures.record("lint_models.py on SQLAlchemy 1.4 (s)", f"{run.seconds:.2f}")
    assert run.returncode == 1
    assert run.findings == [
        ("hero_models.py", 12, "TZ001"),  # SQLModel 0.0.11 maps datetime to DateTime()
        ("library_models.py", 21, "FK001"),
        ("library_models.py", 22, "TZ001"),
    ]  # and no LEG rule, though --select ALL: they recommend 2.0-only APIs
    assert re.fullmatch(
        r"note: SQLAlchemy 1\.4\.54 found \(\S+\): the MetaData checks and the LEG rules "
        r"\(2\.0-only APIs\) need SQLAlchemy 2\.0\+; only the version-neutral source checks ran\n",
        run.stderr,
    )


# ---- output formats and baseline


def test_json_format(installed):
    run = lint(installed, "--no-import", "--format", "json", ".", cwd=FIXTURES / "bad")
    assert (run.returncode, run.stderr) == (1, "")
    items = json.loads(run.stdout)
    assert [(i["file"], i["line"], i["rule"]) for i in items] == DEFAULT_BAD_FINDINGS
    first = items[0]
    assert set(first) == {"rule", "severity", "file", "line", "message", "link"}
    assert (first["severity"], first["link"]) == (
        "warning",
        "references/migrations.md#naming-conventions",
    )
    assert first["message"].startswith("declarative base Base without a naming_convention")
    assert items[4]["severity"] == "error"  # SQL001
    clean = lint(installed, "--no-import", "--format", "json", ".", cwd=FIXTURES / "good")
    assert (clean.returncode, json.loads(clean.stdout)) == (0, [])


def test_github_format(installed):
    run = lint(installed, "--no-import", "--format", "github", ".", cwd=FIXTURES / "bad")
    assert (run.returncode, run.stderr) == (1, "")
    lines = run.stdout.splitlines()
    assert [
        re.match(r"::(\w+) file=([^,]+),line=(\d+),title=(\w+)::", line).groups() for line in lines
    ] == [
        ("warning", "blog_models.py", "11", "NC001"),
        ("warning", "blog_models.py", "20", "TZ001"),
        ("warning", "blog_models.py", "28", "FK001"),
        ("warning", "blog_models.py", "29", "ASY001"),
        ("error", "blog_service.py", "17", "SQL001"),
        ("warning", "legacy_models.py", "9", "NC001"),
    ]
    assert lines[4].endswith("(see references/queries.md#raw-sql-with-text)")


def test_baseline_reports_only_new_findings(installed, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    models = project / "blog_models.py"
    shutil.copy(FIXTURES / "bad" / "blog_models.py", models)
    baseline = tmp_path / "lint-baseline.json"

    def run() -> Run:
        return lint(installed, "--baseline", str(baseline), ".", cwd=project, fresh=True)

    first = run()
    assert (first.returncode, first.stdout) == (0, "")
    assert first.stderr.startswith("note: wrote 3 findings to ")  # NC001, TZ001, FK001
    assert [e["rule"] for e in json.loads(baseline.read_text())["findings"]] == [
        "NC001",
        "TZ001",
        "FK001",
    ]
    # Lines inserted above move the known findings; a new model brings one new finding.
    source = models.read_text()
    models.write_text(
        source.replace("class Base(", "# The blog's tables.\n\n\nclass Base(", 1)
        + "\n\nclass Comment(Base):\n"
        '    __tablename__ = "comment"\n\n'
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
        '    post_id: Mapped[int] = mapped_column(ForeignKey("post.id"))\n'
    )
    second = run()
    assert (second.returncode, second.stderr) == (1, "")
    new_line = (
        models.read_text()
        .splitlines()
        .index('    post_id: Mapped[int] = mapped_column(ForeignKey("post.id"))')
    )
    assert second.findings == [("blog_models.py", new_line + 1, "FK001")]
    assert "comment(post_id)" in second.stdout
    models.write_text(
        models.read_text().replace('ForeignKey("post.id"))', 'ForeignKey("post.id"), index=True)')
    )
    fixed = run()
    assert (fixed.returncode, fixed.stdout, fixed.stderr) == (0, "", "")
    # Fixing a known finding is reported once, as a hint to shrink the baseline.
    models.write_text(
        models.read_text().replace(
            'ForeignKey("author.id"))', 'ForeignKey("author.id"), index=True)'
        )
    )
    shrunk = run()
    assert (shrunk.returncode, shrunk.stdout) == (0, "")
    assert shrunk.stderr == (
        "note: 1 of the baseline's findings no longer occur: --update-baseline drops them\n"
    )
