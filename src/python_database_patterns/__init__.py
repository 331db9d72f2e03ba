"""The console commands of ``pip install python-database-patterns``.

Each command runs a skill's own script: pyproject.toml installs ``skills/<skill>/scripts/`` as
the package ``<skill>_scripts`` (no second copy). The script's folder goes first on
``sys.path``, as when ``python <skill>/scripts/<tool>.py`` runs, so a script imports its
siblings by bare name (``import squawk_lint``) either way.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys


def scripts_folder(skill: str) -> str:
    """Where the scripts of ``skill`` (its folder name, e.g. alembic-migrations) are installed."""
    package = skill.replace("-", "_") + "_scripts"
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"python-database-patterns: package {package} is not installed")
    return next(iter(spec.submodule_search_locations))


def run_script(skill: str, module: str) -> int:
    """Run ``main()`` of ``skills/<skill>/scripts/<module>.py`` as installed."""
    folder = scripts_folder(skill)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module(module).main()


def check_migrations() -> int:
    """``check-migrations``: skills/alembic-migrations/scripts/check_migrations.py."""
    return run_script("alembic-migrations", "check_migrations")


def lint_models() -> int:
    """``lint-models``: skills/python-database-patterns/scripts/lint_models.py."""
    return run_script("python-database-patterns", "lint_models")
