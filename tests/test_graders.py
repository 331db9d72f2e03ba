"""Every eval case's grader passes its correct solution and fails its plausible wrong one.

Graders (``evals/<skill>/<case>/``) run as the eval runner runs them: pytest in a subprocess
with ``--solution``, on SQLite and PostgreSQL. Each grader run gets a PostgreSQL database of its
own, so two run at once, and drops it when done.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import (
    SERVER_URLS,
    _create_postgresql_database,
    _server_error,
    drop_postgresql_database,
)
from sqlalchemy import create_engine, make_url

ROOT = Path(__file__).resolve().parent.parent
CASES = {
    entry["name"]: json.loads(path.read_text())["skill_name"]
    for path in sorted(ROOT.glob("evals/*/evals.json"))
    for entry in json.loads(path.read_text())["evals"]
}
SKILLS = sorted(p.parent.name for p in ROOT.glob("skills/*/SKILL.md"))


def test_every_skill_has_three_to_six_cases():
    counts = {skill: sum(1 for s in CASES.values() if s == skill) for skill in SKILLS}
    assert all(3 <= n <= 6 for n in counts.values()), counts


def test_cases_and_graders_match_one_to_one():
    graders = sorted(p.parent.name for p in ROOT.glob("evals/*/*/test_*.py"))
    assert graders == sorted(CASES)
    for name, skill in CASES.items():
        assert (ROOT / "evals" / skill / name / "correct").is_dir(), name
        assert (ROOT / "evals" / skill / name / "wrong").is_dir(), name


def test_no_skill_folder_holds_evals():
    assert not [p for p in ROOT.glob("skills/**/*") if "evals" in p.name], "evals live in evals/"


def test_case_format(tmp_path):
    for path in sorted(ROOT.glob("evals/*/evals.json")):
        data = json.loads(path.read_text())
        assert data["skill_name"] == path.parent.name
        assert (ROOT / "skills" / path.parent.name / "SKILL.md").is_file(), path
        ids = [entry["id"] for entry in data["evals"]]
        assert len(set(ids)) == len(ids), path
        for entry in data["evals"]:
            assert set(entry) == {"id", "name", "prompt", "expected_output", "files"}, entry
            assert entry["files"] == [], "cases state their whole contract in the prompt"


def case_database(name: str, kind: str) -> str:
    """A PostgreSQL database for one grader run, created when missing."""
    base = make_url(SERVER_URLS["postgresql"])
    database = f"{base.database}_eval_{name.replace('-', '_')}_{kind}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            _create_postgresql_database(conn, database)
    finally:
        admin.dispose()
    return base.set(database=database).render_as_string(hide_password=False)


def grade(name: str, kind: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("PYTEST_XDIST_WORKER", None)  # the grader's database is set here, not per worker
    database = None
    if _server_error("postgresql") is None:
        database = env["TEST_POSTGRES_URL"] = case_database(name, kind)
    case = f"evals/{CASES[name]}/{name}"
    try:
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", case,
             f"--solution={case}/{kind}"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    finally:
        if database:
            drop_postgresql_database(database)


@pytest.fixture(scope="module")
def outcomes() -> dict[tuple[str, str], subprocess.CompletedProcess[str]]:
    jobs = [(name, kind) for name in CASES for kind in ("correct", "wrong")]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(jobs, pool.map(lambda job: grade(*job), jobs), strict=True))


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_grader_passes_the_correct_solution(outcomes, name):
    result = outcomes[(name, "correct")]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_grader_fails_the_wrong_solution(outcomes, name):
    result = outcomes[(name, "wrong")]
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-2000:]
    assert " failed" in result.stdout
