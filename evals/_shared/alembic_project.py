"""Build an Alembic project around the revision an agent wrote, in a temporary folder.

alembic.ini and migrations/env.py are rendered from the skill's tested templates
(scripts/render_alembic.py: each revision in its own transaction, batch rendering on), the
earlier revisions a case's prompt shows are written by the grader, and the agent's revision
file is copied next to them.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import pytest
from alembic.config import Config

ROOT = Path(__file__).resolve().parent.parent.parent
_spec = importlib.util.spec_from_file_location(
    "render_alembic", ROOT / "skills" / "alembic-migrations" / "scripts" / "render_alembic.py"
)
assert _spec and _spec.loader
render_alembic = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(render_alembic)

MODELS = "from sqlalchemy import MetaData\n\nmetadata = MetaData()\n"


def find_revision(solution: Path, filename: str, revision: str) -> Path:
    """The agent's revision file: by the name the prompt gave, else by its revision id."""
    skip = {".claude", "__pycache__", ".venv"}
    candidates = [p for p in solution.rglob("*.py") if not skip & set(p.parts)]
    named = [p for p in candidates if p.name == filename]
    if named:
        return named[0]
    pattern = re.compile(rf"^revision\b[^=\n]*=\s*[\"']{re.escape(revision)}[\"']", re.MULTILINE)
    by_id = [p for p in candidates if pattern.search(p.read_text("utf-8", errors="replace"))]
    if not by_id:
        pytest.fail(f"no {filename} (or file with revision = {revision!r}) in {solution}")
    return by_id[0]


def alembic_project(
    tmp: Path,
    solution: Path,
    earlier: dict[str, str],
    filename: str,
    revision: str,
    url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Config:
    """A rendered project whose versions/ holds ``earlier`` plus the agent's revision."""
    project = tmp / "alembic_project"
    project.mkdir()
    (project / "grader_models.py").write_text(MODELS, encoding="utf-8")
    code = render_alembic.main([str(project), "--metadata", "grader_models:metadata"])
    assert code == 0, "render_alembic.py failed"
    versions = project / "migrations" / "versions"
    for name, text in earlier.items():
        (versions / name).write_text(text, encoding="utf-8")
    shutil.copyfile(find_revision(solution, filename, revision), versions / filename)
    monkeypatch.setenv("DATABASE_URL", url)  # the rendered env.py reads it before alembic.ini
    config = Config(project / "alembic.ini")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config
