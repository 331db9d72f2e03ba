"""Run each skill's eval cases with and without the skill, grade the code on real databases.

    python scripts/eval.py run [--skill S] [--case NAME] [--model M] [--runs K]
                               [--agent-cmd CMD] [--out DIR]
    python scripts/eval.py prepare [--skill S] [--case NAME] [--out DIR]   # workspaces only
    python scripts/eval.py grade ITERATION_DIR                            # grade what is there

Cases live in ``evals/<skill>/evals.json`` (the Agent Skills eval format: id, name,
prompt, expected_output, files); the grader of case NAME is ``evals/<skill>/NAME/`` (pytest, run
with ``--solution WORKSPACE``, on SQLite and PostgreSQL). Each run gets a fresh workspace; in
the ``with_skill`` arm the skill folder is installed in it as ``.claude/skills/<skill>/``.

The agent is the ``claude`` CLI in print mode (``--model`` passes through) when it is installed
and logged in, or any command given with ``--agent-cmd``: it runs in the workspace with the
prompt on stdin, and may use the placeholders {prompt}, {workspace}, {case}, {arm} (each
shell-quoted). Output, in the guide's layout::

    OUT/iteration-N/eval-NAME/{with_skill,without_skill}/run-K/
        workspace/  prompt.txt  agent.log  timing.json  grading.json
    OUT/iteration-N/benchmark.json

and a table of pass rates, tokens and time per skill and arm.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARMS = ("with_skill", "without_skill")
AGENT_TIMEOUT = 900
GRADE_TIMEOUT = 300


class EvalError(Exception):
    """Input the runner refuses; printed as one line."""


@dataclass(frozen=True)
class Case:
    skill: str
    id: int
    name: str
    prompt: str
    expected_output: str

    @property
    def grader(self) -> Path:
        return ROOT / "evals" / self.skill / self.name


def load_cases(skill: str | None = None, name: str | None = None) -> list[Case]:
    cases = []
    for path in sorted(ROOT.glob("evals/*/evals.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for entry in data["evals"]:
            cases.append(
                Case(data["skill_name"], entry["id"], entry["name"], entry["prompt"],
                     entry["expected_output"])
            )  # fmt: skip
    picked = [c for c in cases if skill in (None, c.skill) and name in (None, c.name)]
    if not picked:
        raise EvalError(f"no eval case matches skill={skill!r} case={name!r}")
    return picked


# ---- workspaces ------------------------------------------------------------------------------


def next_iteration(out: Path) -> Path:
    taken = [int(p.name.split("-")[1]) for p in out.glob("iteration-*") if p.name[10:].isdigit()]
    return out / f"iteration-{max(taken, default=0) + 1}"


def prepare_run(case: Case, arm: str, run_dir: Path) -> Path:
    """A fresh workspace; the with_skill arm gets the skill folder as a project skill."""
    workspace = run_dir / "workspace"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    workspace.mkdir(parents=True)
    if arm == "with_skill":
        # The skill as installers ship it (its cases and graders live outside it, in evals/).
        shutil.copytree(ROOT / "skills" / case.skill, workspace / ".claude" / "skills" / case.skill)
    (run_dir / "prompt.txt").write_text(case.prompt + "\n", encoding="utf-8")
    return workspace


def run_dirs(iteration: Path, cases: list[Case], runs: int) -> list[tuple[Case, str, Path]]:
    return [
        (case, arm, iteration / f"eval-{case.name}" / arm / f"run-{k}")
        for case in cases
        for arm in ARMS
        for k in range(1, runs + 1)
    ]


# ---- the agent -------------------------------------------------------------------------------


def claude_command(model: str | None) -> str:
    """The default agent: claude in print mode, allowed to write files in the workspace."""
    claude = shutil.which("claude")
    logged_in = (
        os.environ.get("ANTHROPIC_API_KEY")
        or (Path.home() / ".claude" / ".credentials.json").is_file()
    )
    if claude is None or not logged_in:
        raise EvalError(
            "no agent: install and log in to the claude CLI, or pass --agent-cmd COMMAND"
        )
    model_flag = f" --model {shlex.quote(model)}" if model else ""
    return (
        f"{shlex.quote(claude)} -p {{prompt}}{model_flag} --output-format json"
        " --permission-mode acceptEdits --allowedTools Read,Write,Edit,Bash,Glob,Grep"
    )


def run_agent(command: str, case: Case, arm: str, workspace: Path, log: Path) -> dict[str, object]:
    values = {"prompt": case.prompt, "workspace": str(workspace), "case": case.name, "arm": arm}
    argv = command.format(**{k: shlex.quote(v) for k, v in values.items()})
    started = time.monotonic()
    try:
        result = subprocess.run(
            argv, shell=True, cwd=workspace, input=case.prompt, capture_output=True, text=True,
            timeout=AGENT_TIMEOUT,
        )  # fmt: skip
        exit_code, stdout, stderr = result.returncode, result.stdout, result.stderr
    except subprocess.TimeoutExpired as exc:
        exit_code, stdout, stderr = None, str(exc.stdout or ""), f"timed out after {AGENT_TIMEOUT}s"
    seconds = round(time.monotonic() - started, 2)
    log.write_text(stdout + ("\n--- stderr ---\n" + stderr if stderr else ""), encoding="utf-8")
    return {"total_duration_seconds": seconds, "agent_exit_code": exit_code, **usage(stdout)}


def usage(stdout: str) -> dict[str, object]:
    """Token counts from claude's JSON result, when the agent printed one."""
    try:
        data = json.loads(stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"total_tokens": None}
    tokens = data.get("usage") or {}
    counted = [v for k, v in tokens.items() if k.endswith("_tokens") and isinstance(v, int)]
    return {
        "total_tokens": sum(counted) if counted else None,
        "model_usage": data.get("modelUsage"),
    }


# ---- grading ---------------------------------------------------------------------------------


def grade(case: Case, workspace: Path, run_dir: Path) -> dict[str, object]:
    """Run the case's grader on the workspace; write and return grading.json."""
    report = run_dir / "junit.xml"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(case.grader),
         f"--solution={workspace}", f"--junitxml={report}", f"--rootdir={ROOT}"],
        cwd=ROOT, capture_output=True, text=True, timeout=GRADE_TIMEOUT,
    )  # fmt: skip
    tests = parse_junit(report) if report.exists() else []
    grading = {
        "case": case.name,
        "skill": case.skill,
        "passed": result.returncode == 0 and bool(tests),
        "expected_output": case.expected_output,
        "tests": tests,
        "summary": (result.stdout.strip().splitlines() or [""])[-1],
    }
    (run_dir / "grading.json").write_text(json.dumps(grading, indent=2) + "\n", encoding="utf-8")
    return grading


def verdict(case: Case, arm: str, grading: dict[str, object]) -> str:
    return f"{'PASS' if grading['passed'] else 'FAIL'} {case.skill}/{case.name} {arm}"


def parse_junit(report: Path) -> list[dict[str, object]]:
    import xml.etree.ElementTree as ET

    tests = []
    for case in ET.parse(report).iter("testcase"):
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        tests.append(
            {
                "name": case.get("name"),
                "passed": failure is None and case.find("skipped") is None,
                "evidence": (failure.get("message") or "")[:500] if failure is not None else "",
            }
        )
    return tests


# ---- the benchmark ---------------------------------------------------------------------------


def benchmark(iteration: Path, meta: dict[str, object]) -> dict[str, object]:
    rows: dict[str, dict[str, dict[str, list[object]]]] = {}
    for run in sorted(iteration.glob("eval-*/*/run-*")):
        grading_file, timing_file = run / "grading.json", run / "timing.json"
        if not grading_file.exists():
            continue
        grading = json.loads(grading_file.read_text())
        timing = json.loads(timing_file.read_text()) if timing_file.exists() else {}
        arm = run.parent.name
        cell = rows.setdefault(grading["skill"], {}).setdefault(
            arm, {"passed": [], "seconds": [], "tokens": []}
        )
        cell["passed"].append(grading["passed"])
        cell["seconds"].append(timing.get("total_duration_seconds"))
        cell["tokens"].append(timing.get("total_tokens"))
    summary = {
        skill: {arm: summarize(values) for arm, values in arms.items()}
        for skill, arms in sorted(rows.items())
    }
    data = {"metadata": meta, "run_summary": summary}
    (iteration / "benchmark.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return data


def summarize(values: dict[str, list[object]]) -> dict[str, object]:
    def mean(xs: list[object]) -> float | None:
        nums = [float(x) for x in xs if isinstance(x, (int, float))]
        return round(sum(nums) / len(nums), 1) if nums else None

    passed = values["passed"]
    return {
        "runs": len(passed),
        "passed": sum(1 for p in passed if p),
        "pass_rate": round(sum(1 for p in passed if p) / len(passed), 3) if passed else None,
        "mean_seconds": mean(values["seconds"]),
        "mean_tokens": mean(values["tokens"]),
    }


def table(data: dict[str, object]) -> str:
    lines = [
        "| skill | with skill: passed | tokens | s | without skill: passed | tokens | s |",
        "|---|---|---|---|---|---|---|",
    ]
    summary = data["run_summary"]
    assert isinstance(summary, dict)
    for skill, arms in summary.items():
        cells = []
        for arm in ARMS:
            s = arms.get(arm) or {"passed": 0, "runs": 0, "mean_tokens": None, "mean_seconds": None}
            cells += [
                f"{s['passed']}/{s['runs']}",
                _show(s["mean_tokens"]),
                _show(s["mean_seconds"]),
            ]
        lines.append(f"| {skill} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _show(value: object) -> str:
    return "n/a" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


# ---- commands --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("run", "prepare"):
        p = sub.add_parser(name)
        p.add_argument("--skill")
        p.add_argument("--case")
        p.add_argument("--runs", type=int, default=1)
        p.add_argument("--out", type=Path, default=ROOT / "eval-workspace")
        if name == "run":
            p.add_argument("--model", help="passed to claude --model")
            p.add_argument("--agent-cmd", help="command that writes the code into the workspace")
    g = sub.add_parser("grade")
    g.add_argument("iteration", type=Path)
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except EvalError as exc:
        print(f"eval: {exc}", file=sys.stderr)
        return 2


def cmd_run(args: argparse.Namespace) -> int:
    cases = load_cases(args.skill, args.case)
    command = args.agent_cmd or claude_command(args.model)
    iteration = next_iteration(args.out)
    for case, arm, run_dir in run_dirs(iteration, cases, args.runs):
        workspace = prepare_run(case, arm, run_dir)
        timing = run_agent(command, case, arm, workspace, run_dir / "agent.log")
        (run_dir / "timing.json").write_text(json.dumps(timing, indent=2) + "\n", "utf-8")
        print(verdict(case, arm, grade(case, workspace, run_dir)))
    meta = {"agent": args.agent_cmd or "claude", "model": args.model, "runs": args.runs}
    print(table(benchmark(iteration, meta)))
    print(f"results: {iteration}")
    return 0


def cmd_prepare(args: argparse.Namespace) -> int:
    cases = load_cases(args.skill, args.case)
    iteration = next_iteration(args.out)
    for case, arm, run_dir in run_dirs(iteration, cases, args.runs):
        print(f"{case.skill}\t{case.name}\t{arm}\t{prepare_run(case, arm, run_dir)}")
    return 0


def cmd_grade(args: argparse.Namespace) -> int:
    iteration = args.iteration
    if not iteration.is_dir():
        raise EvalError(f"not a folder: {iteration}")
    by_name = {case.name: case for case in load_cases()}
    for run_dir in sorted(iteration.glob("eval-*/*/run-*")):
        case = by_name[run_dir.parent.parent.name.removeprefix("eval-")]
        print(verdict(case, run_dir.parent.name, grade(case, run_dir / "workspace", run_dir)))
    meta_file = iteration / "benchmark.json"
    meta = json.loads(meta_file.read_text())["metadata"] if meta_file.exists() else {}
    print(table(benchmark(iteration, meta)))
    return 0


COMMANDS = {"run": cmd_run, "prepare": cmd_prepare, "grade": cmd_grade}

if __name__ == "__main__":
    sys.exit(main())
