"""scripts/eval.py end to end, offline: a stub agent that copies a case's known solution.

The stub writes the correct solution in the with_skill arm and the wrong one without the skill,
so the run must grade them PASS and FAIL on real databases and lay out the guide's workspace.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_graders import case_database, drop_postgresql_database

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "eval.py"
# Braces are doubled: the runner fills {arm} and {case} with str.format.
STUB = (
    "if [ {arm} = with_skill ]; then kind=correct; else kind=wrong; fi; "
    'cp -R EVALS/*/{case}/$kind/. . && echo \'{{"usage": {{"input_tokens": 7}}}}\''
).replace("EVALS", str(ROOT / "evals"))


def eval_py(*args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip


@pytest.fixture
def runner_database() -> Iterator[str]:
    url = case_database("runner", "stub")
    yield url
    drop_postgresql_database(url)


def test_a_stub_agent_run_is_graded_and_laid_out_as_the_guide_says(tmp_path, runner_database):
    env = {**os.environ, "TEST_POSTGRES_URL": runner_database}
    env.pop("PYTEST_XDIST_WORKER", None)
    out = tmp_path / "ws"
    result = eval_py("run", "--case", "n-plus-one", "--agent-cmd", STUB, "--out", out, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS python-database-patterns/n-plus-one with_skill" in result.stdout
    assert "FAIL python-database-patterns/n-plus-one without_skill" in result.stdout
    assert "| python-database-patterns | 1/1 | 7 |" in result.stdout

    iteration = out / "iteration-1"
    for arm, passed in (("with_skill", True), ("without_skill", False)):
        run = iteration / "eval-n-plus-one" / arm / "run-1"
        assert (run / "workspace" / "blog.py").is_file()
        assert (run / "prompt.txt").read_text().startswith("In a new file `blog.py`")
        grading = json.loads((run / "grading.json").read_text())
        assert grading["passed"] is passed
        assert {t["name"].split("[")[1] for t in grading["tests"]} == {"sqlite]", "postgresql]"}
        timing = json.loads((run / "timing.json").read_text())
        assert timing["total_tokens"] == 7 and timing["total_duration_seconds"] >= 0
    skill_in_workspace = iteration / "eval-n-plus-one/with_skill/run-1/workspace/.claude/skills"
    assert (skill_in_workspace / "python-database-patterns" / "SKILL.md").is_file()
    assert not (skill_in_workspace / "python-database-patterns" / "evals").exists()
    assert not (iteration / "eval-n-plus-one/without_skill/run-1/workspace/.claude").exists()
    bench = json.loads((iteration / "benchmark.json").read_text())
    cells = bench["run_summary"]["python-database-patterns"]
    assert cells["with_skill"]["pass_rate"] == 1.0 and cells["without_skill"]["pass_rate"] == 0.0

    # Grading again what is on disk gives the same verdicts.
    regraded = eval_py("grade", iteration, env=env)
    assert regraded.returncode == 0, regraded.stderr
    assert "| python-database-patterns | 1/1 |" in regraded.stdout


def test_without_an_agent_it_says_so_in_one_line(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = eval_py("run", "--case", "n-plus-one", "--out", tmp_path / "ws", env=env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "eval: no agent: install and log in to the claude CLI, or pass --agent-cmd COMMAND"
    ]
    assert not (tmp_path / "ws").exists()


def test_an_unknown_case_is_one_line_and_exit_2(tmp_path):
    result = eval_py("run", "--case", "nope", "--agent-cmd", "true", env=dict(os.environ))
    assert result.returncode == 2
    assert result.stderr.strip() == "eval: no eval case matches skill=None case='nope'"
