"""Import the agent's module from a copy of the solution, with the files a case provides.

For cases whose prompt says "``models.py`` already contains ...": the grader writes that file
next to the agent's code (overwriting any version the agent wrote) without touching the
solution folder itself.
"""

from __future__ import annotations

import importlib
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType


@contextmanager
def solution_copy(
    solution: Path, tmp: Path, files: dict[str, str]
) -> Iterator[Callable[[str], ModuleType]]:
    """Yields ``import_module`` for a copy of ``solution`` with ``files`` written into it."""
    work = tmp / "solution_copy"
    ignore = shutil.ignore_patterns("__pycache__", ".pytest_cache", ".claude", ".venv", ".git")
    shutil.copytree(solution, work, ignore=ignore)
    for name, text in files.items():
        (work / name).write_text(text, encoding="utf-8")
    names = {Path(name).stem for name in files}

    def forget() -> None:
        for name, module in list(sys.modules.items()):
            path = str(getattr(module, "__file__", "") or "")
            if path.startswith(str(work)) or name in names:
                del sys.modules[name]

    forget()
    sys.path.insert(0, str(work))
    try:
        yield importlib.import_module
    finally:
        forget()
        sys.path.remove(str(work))
