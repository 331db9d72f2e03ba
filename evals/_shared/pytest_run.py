"""Run a pytest session inside a copy of the solution folder, against one database URL."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def run_pytest_in_copy(
    solution: Path,
    tmp: Path,
    files: dict[str, str],
    database_url: str,
    tests: tuple[str, ...] = (),
    plugins: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """Copy the solution folder, add ``files`` (the app and the tests the case defines), run
    pytest there with ``DATABASE_URL`` set; returns the finished process. ``tests`` narrows
    the run to those files (the agent's own tests in the folder are not collected then);
    the folder's conftest.py is loaded either way. Installed plugins are not auto-loaded (anyio's
    alone costs half a second a run): name the ones a case needs in ``plugins`` (modules, e.g.
    ``anyio.pytest_plugin``)."""
    work = tmp / "project"
    ignore = shutil.ignore_patterns("__pycache__", ".pytest_cache", ".claude", ".venv", ".git")
    shutil.copytree(solution, work, ignore=ignore)
    for name, text in files.items():
        (work / name).write_text(text, encoding="utf-8")
    env = {**os.environ, "DATABASE_URL": database_url, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         *(arg for name in plugins for arg in ("-p", name)),
         "--rootdir", str(work), "-c", os.devnull, *(tests or [str(work)])],
        cwd=work, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
