"""Virtualenvs with old releases (SQLAlchemy 1.4, ...) for the tools' version checks.

``legacy_python(pins)`` returns the Python of a venv holding exactly those pins, made once into
``${XDG_CACHE_HOME:-~/.cache}/python-database-patterns/venvs/<pins>`` (PyPI is needed the first
time). When the install fails, the calling test is skipped with one line saying why; with
``CI=true`` it fails instead (npm_tools.install_once).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from npm_tools import install_once

CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    / "python-database-patterns"
    / "venvs"
)


def legacy_python(pins: tuple[str, ...]) -> Path:
    folder = CACHE / "-".join(pin.replace("==", "") for pin in pins)

    def install(staging: Path) -> subprocess.CompletedProcess:
        subprocess.run([sys.executable, "-m", "venv", str(staging)], check=True, timeout=120)
        # A venv runs from its new place after the rename: bin/python finds pyvenv.cfg.
        return subprocess.run(
            [str(staging / "bin/python"), "-m", "pip", "install", "--quiet",
             "--disable-pip-version-check", *pins],
            capture_output=True,
            text=True,
            timeout=600,
        )  # fmt: skip

    return install_once(folder, folder / "bin" / "python", install, f"pip install {' '.join(pins)}")
