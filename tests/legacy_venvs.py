"""Virtualenvs with old releases (SQLAlchemy 1.4, ...) for the tools' version checks.

``legacy_python(pins)`` returns the Python of a venv holding exactly those pins, made once into
``${XDG_CACHE_HOME:-~/.cache}/python-database-patterns/venvs/<pins>`` (PyPI is needed the first
time). When the install fails, the calling test is skipped with one line saying why; with
``CI=true`` it fails instead (npm_tools.unavailable).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from npm_tools import unavailable

CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    / "python-database-patterns"
    / "venvs"
)


def legacy_python(pins: tuple[str, ...]) -> Path:
    folder = CACHE / "-".join(pin.replace("==", "") for pin in pins)
    python = folder / "bin" / "python"
    if python.exists():
        return python
    CACHE.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".venv-", dir=CACHE))
    try:
        subprocess.run([sys.executable, "-m", "venv", str(staging)], check=True, timeout=120)
        done = subprocess.run(
            [str(staging / "bin/python"), "-m", "pip", "install", "--quiet",
             "--disable-pip-version-check", *pins],
            capture_output=True,
            text=True,
            timeout=600,
        )  # fmt: skip
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            unavailable(f"pip install {' '.join(pins)} failed: {last}")
        try:
            staging.rename(folder)  # a venv runs from its new place: bin/python finds pyvenv.cfg
        except OSError:  # another process made it first
            if not python.exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return python
