"""Every example type-checks under ``mypy --strict`` (settings: ``[tool.mypy]`` in pyproject.toml).

Runs on both SQLAlchemy legs: the examples are typed for 2.0 and 2.1 alike.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# One cache per virtualenv: switching SQLAlchemy versions would invalidate a shared one.
CACHE = Path(sys.prefix) / "mypy_cache"


def mypy(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(CACHE), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_examples_pass_mypy_strict():
    result = mypy()  # files and strict = true come from pyproject.toml
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues found in" in result.stdout


def test_the_configuration_is_strict(tmp_path):
    untyped = tmp_path / "untyped.py"
    untyped.write_text("def double(x):\n    return x * 2\n")
    result = mypy(str(untyped))
    assert result.returncode == 1
    assert "[no-untyped-def]" in result.stdout
