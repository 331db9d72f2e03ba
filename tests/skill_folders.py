"""Checks shared by the installer tests: an installed skill folder is the repository's folder."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import render_docs  # noqa: E402

SKILLS = sorted(p.parent.name for p in (ROOT / "skills").glob("*/SKILL.md"))


def files(folder: Path, ignore: tuple[str, ...] = ()) -> dict[str, bytes]:
    """Relative path -> content of every file below ``folder``, minus the names in ``ignore``."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name not in ignore
    }


def eval_files(folder: Path) -> list[str]:
    """Anything of the evals (cases, graders, solutions) below an installed folder: none ships."""
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if "evals" in p.relative_to(folder).parts or p.name in ("evals.json", "RESULTS.md")
    )


def dangling_links(folder: Path) -> list[str]:
    """Relative links of the folder's markdown that are missing or lead out of the folder."""
    folder = folder.resolve()
    bad = []
    for page in sorted(folder.rglob("*.md")):
        for target in render_docs.relative_links(page.read_text(encoding="utf-8")):
            resolved = (page.parent / target).resolve()
            if not resolved.exists() or not resolved.is_relative_to(folder):
                bad.append(f"{page.relative_to(folder)} -> {target}")
    return bad
