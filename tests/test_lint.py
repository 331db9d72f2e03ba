import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The skills' tools, not their pages (ruff would also format the pages' Python blocks).
CODE = [
    "examples",
    "scripts",
    "src",
    "tests",
    *sorted(str(p) for p in ROOT.glob("skills/*/scripts")),
]


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
