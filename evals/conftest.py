"""Grader harness: a case's test module grades the code an agent wrote, on real databases.

    pytest evals/<skill>/<case> --solution DIR

DIR holds the files the case's prompt asked for; the ``solution`` fixture imports them by module
name, afresh for each test. The ``db`` fixture is the test suite's own (tests/conftest.py):
a fresh SQLite file or a reset PostgreSQL schema (``TEST_POSTGRES_URL``) per test, once per
backend, narrowed with ``@pytest.mark.backends("postgresql")``. Graders are for maintainers:
they and their solutions never ship in a skill folder.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("suite_conftest", ROOT / "tests" / "conftest.py")
assert _spec and _spec.loader
suite = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = suite
_spec.loader.exec_module(suite)

# A case's correct/ and wrong/ solutions may hold a conftest.py (the agent's); never collect them.
collect_ignore_glob = ["*/correct", "*/wrong"]

pytest_configure = suite.pytest_configure
pytest_generate_tests = suite.pytest_generate_tests
Backend = suite.Backend


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--solution", required=True, help="folder with the code under grading")


@pytest.fixture
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    return suite.connect_backend(request.param, tmp_path)


@pytest.fixture
def solution(request: pytest.FixtureRequest) -> Iterator[Callable[[str], ModuleType]]:
    """``solution("report")`` imports report.py from the solution folder (fresh each test)."""
    folder = Path(request.config.getoption("--solution")).resolve()
    sys.path.insert(0, str(folder))

    def forget() -> None:
        for name, module in list(sys.modules.items()):
            if str(getattr(module, "__file__", "") or "").startswith(str(folder)):
                del sys.modules[name]

    forget()
    try:
        yield importlib.import_module
    finally:
        forget()
        sys.path.remove(str(folder))
