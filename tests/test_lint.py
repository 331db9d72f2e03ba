import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = ["examples", "scripts", "tests"]


def ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, *CODE], cwd=ROOT, capture_output=True, text=True
    )


def test_ruff_check():
    result = ruff("check")
    assert result.returncode == 0, result.stdout


def test_ruff_format():
    result = ruff("format", "--check")
    assert result.returncode == 0, result.stdout
