"""scripts/lint_models.py, run as the installed skill runs it: a copy, in its own folder, from
another working directory. Each bad fixture makes each rule fire once at a known line; the good
fixture and the project's examples/ are clean; and the foreign-key-index rule agrees with what
the database's own inspector reports on SQLite and PostgreSQL.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "skills" / "python-database-patterns" / "scripts" / "lint_models.py"
FIXTURES = ROOT / "tests" / "fixtures" / "lint"
FK_FINDING = re.compile(r"FK001 foreign key (\w+)\(([\w, ]+)\)")


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


def lint(script: Path, *args: str, cwd: Path, figures=None) -> Run:
    key = (args, cwd)
    if key not in _runs:
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(script), *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=60,
        )
        _runs[key] = Run(done.returncode, done.stdout, done.stderr, time.perf_counter() - start)
    run = _runs[key]
    if figures is not None:
        figures.record(f"lint_models.py {' '.join(args)} in {cwd.name}/ (s)", f"{run.seconds:.2f}")
    return run


def test_good_fixture_is_clean(installed, figures):
    run = lint(installed, ".", cwd=FIXTURES / "good", figures=figures)
    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")


def test_each_rule_fires_once(installed, figures):
    run = lint(installed, ".", cwd=FIXTURES / "bad", figures=figures)
    assert run.returncode == 1, run.stderr
    assert run.stderr == ""
    assert run.findings == [
        ("blog_models.py", 11, "NC001"),
        ("blog_models.py", 20, "TZ001"),
        ("blog_models.py", 28, "FK001"),
        ("blog_models.py", 29, "ASY001"),
        ("blog_service.py", 17, "SQL001"),
        ("blog_service.py", 22, "LEG001"),  # line 26 has the same call, silenced inline
        ("legacy_models.py", 8, "LEG002"),
        ("legacy_models.py", 15, "LEG003"),
        ("legacy_models.py", 17, "LEG004"),
    ]


def test_every_finding_links_a_reference_section(installed):
    run = lint(installed, ".", cwd=FIXTURES / "bad")
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
