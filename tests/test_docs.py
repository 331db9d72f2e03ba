"""Shipped markdown: rendered from examples, links resolve, skills follow the Agent Skills rules."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import render_docs  # noqa: E402

MARKDOWN = render_docs.shipped_markdown()
SKILLS = sorted(ROOT.glob("skills/*/SKILL.md"))
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
NAME_RULE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def frontmatter(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    match = re.match(r"^---\n(.*?)\n---\n(.*)$", text, re.DOTALL)
    assert match, f"{rel(path)} must start with YAML frontmatter between --- lines"
    return yaml.safe_load(match[1]), match[2]


def test_committed_markdown_matches_a_fresh_render():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "render_docs.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", MARKDOWN, ids=rel)
def test_every_python_block_comes_from_an_example(path):
    text = path.read_text(encoding="utf-8")
    outside_snippets = render_docs.SNIPPET.sub("", text)
    hand_typed = re.findall(r"^\s*```(?:python|py)\b", outside_snippets, re.MULTILINE)
    assert hand_typed == [], "wrap the block in <!-- snippet: examples/...#region --> markers"


def test_snippets_come_from_examples_or_assets():
    for path in MARKDOWN:
        for match in render_docs.SNIPPET.finditer(path.read_text(encoding="utf-8")):
            assert match["path"].split("/")[0] in ("examples", "assets"), (rel(path), match["path"])


@pytest.mark.parametrize("path", MARKDOWN, ids=rel)
def test_relative_links_resolve(path):
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
    broken = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        file_part = target.split("#")[0]
        if not (path.parent / file_part).exists():
            broken.append(target)
    assert broken == []


def test_there_is_at_least_one_skill():
    assert (ROOT / "skills/python-database-patterns/SKILL.md") in SKILLS


@pytest.mark.parametrize("path", SKILLS, ids=rel)
def test_skill_frontmatter_follows_agent_skills_rules(path):
    meta, body = frontmatter(path)
    name = meta.get("name")
    assert name == path.parent.name
    assert len(name) <= 64 and NAME_RULE.match(name), "lowercase letters, digits, single hyphens"
    description = meta.get("description")
    assert isinstance(description, str) and 0 < len(description) <= 1024
    assert "Use when" in description, "say when to use the skill"
    assert len(body.splitlines()) < 500


def test_core_skill_carries_the_trigger_words():
    meta, _ = frontmatter(ROOT / "skills/python-database-patterns/SKILL.md")
    description = meta["description"].lower()
    for word in (
        "sqlalchemy",
        "database",
        "orm",
        "migration",
        "alembic",
        "async database",
        "connection pool",
        "repository pattern",
        "unit of work",
    ):
        assert word in description, word


@pytest.mark.parametrize("path", sorted(ROOT.glob("references/*.md")), ids=rel)
def test_long_references_have_a_table_of_contents(path):
    text = path.read_text(encoding="utf-8")
    if len(text.splitlines()) > 100:
        assert re.search(r"^## (Contents|Table of contents)", text, re.MULTILINE | re.IGNORECASE)
