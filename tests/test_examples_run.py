"""Every example file runs as a whole program on each backend its docstring names."""

import ast
import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES, connect_backend

ROOT = EXAMPLES.parent
# Examples import siblings by bare name, also across folders (blog_models from examples/core).
EXAMPLE_PATH = os.pathsep.join(sorted({str(p.parent) for p in EXAMPLES.rglob("*.py")}))


def declared_backends(path: Path) -> list[str]:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    for line in doc.splitlines():
        if line.startswith("Backends:"):
            return [name.strip() for name in line.removeprefix("Backends:").split(",")]
    return []


PROGRAMS = [
    (path, backend)
    for path in sorted(EXAMPLES.rglob("*.py"))
    if 'if __name__ == "__main__":' in path.read_text(encoding="utf-8")
    for backend in declared_backends(path)
]


def test_every_example_declares_its_backends():
    missing = [
        str(p.relative_to(ROOT))
        for p in sorted(EXAMPLES.rglob("*.py"))
        if 'if __name__ == "__main__":' in p.read_text(encoding="utf-8")
        and not declared_backends(p)
    ]
    assert missing == [], "add a 'Backends: sqlite, postgresql' line to the module docstring"


def test_example_module_names_are_unique():
    names = [p.stem for p in EXAMPLES.rglob("*.py")]
    assert len(names) == len(set(names)), "examples import each other by bare module name"


@pytest.mark.parametrize(
    ("path", "backend"),
    PROGRAMS,
    ids=[f"{p.relative_to(EXAMPLES)}-{b}" for p, b in PROGRAMS],
)
def test_example_runs_as_a_program(path, backend, tmp_path):
    db = connect_backend(backend, tmp_path)
    module = __import__(path.stem)
    is_async = inspect.iscoroutinefunction(getattr(module, "main", None))
    url = db.async_url if is_async else db.url
    result = subprocess.run(
        [sys.executable, str(path), url],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": EXAMPLE_PATH},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip(), "an example prints what it shows"
