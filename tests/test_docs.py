"""Shipped markdown: rendered from examples, links resolve, skills follow the Agent Skills rules."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import render_docs  # noqa: E402

MARKDOWN = render_docs.shipped_markdown()
SOURCES = render_docs.source_markdown()
SKILLS = sorted(ROOT.glob("skills/*/SKILL.md"))
# Names a page's prose introduces instead of defining them in code ("given a session ...").
PLACEHOLDERS = {"session", "async_session", "engine", "async_engine", "url", "conn", "connection"}
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
    for path in SOURCES:
        for match in render_docs.SNIPPET.finditer(path.read_text(encoding="utf-8")):
            source = match["path"]
            assert source.startswith(("examples/", "skills/alembic-migrations/assets/")), (
                rel(path),
                source,
            )


@pytest.mark.parametrize("path", MARKDOWN, ids=rel)
def test_relative_links_resolve(path):
    targets = render_docs.relative_links(path.read_text(encoding="utf-8"))
    assert [t for t in targets if not (path.parent / t).exists()] == []


def python_blocks(markdown: str) -> list[str]:
    """The page's Python code in order; templates (.j2) are not Python until rendered."""
    blocks = []
    for match in render_docs.SNIPPET.finditer(markdown):
        if match["path"].endswith(".py"):
            blocks.append(re.sub(r"\A```\w*\n|```\n\Z", "", match["body"]))
    return blocks


@pytest.mark.parametrize("path", SOURCES, ids=rel)
def test_a_page_copied_block_by_block_defines_every_name_it_uses(path):
    code = "".join(python_blocks(path.read_text(encoding="utf-8")))
    undefined = set(render_docs.undefined_names(code)) - PLACEHOLDERS
    assert sorted(undefined) == [], "show these in an earlier block of the page, or import them"


@pytest.mark.parametrize("path", SOURCES, ids=rel)
def test_each_block_read_alone_imports_what_it_uses(path):
    """An agent often reads one section: a block may use what the page's other blocks define
    (models, helpers), never what only another block imports; annotations count."""
    blocks = python_blocks(path.read_text(encoding="utf-8"))
    future = any(render_docs.FUTURE in block for block in blocks)
    problems = []
    for i, block in enumerate(blocks):
        context = render_docs.block_context(blocks[:i] + blocks[i + 1 :], future)
        start = context.count("\n") + 1
        missing = set(render_docs.undefined_names(context + block, from_line=start)) - PLACEHOLDERS
        if missing:
            problems.append(f"block {i + 1} ({block.splitlines()[0][:60]}): {sorted(missing)}")
    assert problems == []


def test_the_block_check_catches_a_name_only_another_block_imports():
    blocks = ["from typing import Any\n\n\nclass Row:\n    pass\n", "def f() -> list[Any]: ...\n"]
    context = render_docs.block_context(blocks[:1], future=True)
    found = render_docs.undefined_names(context + blocks[1], from_line=context.count("\n") + 1)
    assert found == ["Any"]
    assert render_docs.defined_names(blocks[0]) == ["Row"]


def test_the_page_check_catches_a_missing_import_and_a_missing_future_import():
    """The check above has teeth: pyflakes flags a name no block defines, and a forward
    reference in an annotation without ``from __future__ import annotations``."""
    assert render_docs.undefined_names("x = selectinload(1)\n") == ["selectinload"]
    forward = "class A:\n    b: B\n\n\nclass B:\n    pass\n"
    assert render_docs.undefined_names(forward) == ["B"]
    assert render_docs.undefined_names("from __future__ import annotations\n" + forward) == []


def test_rendered_blocks_carry_their_imports():
    page = "<!-- snippet: examples/core/eager_loading.py#raiseload -->\n<!-- /snippet -->\n"
    rendered = render_docs.render_text(page)
    assert "from sqlalchemy.orm import " in rendered and "raiseload" in rendered
    assert rendered.index("import") < rendered.index("def authors_strict")


@pytest.mark.parametrize("skill_md", SKILLS, ids=lambda p: p.parent.name)
def test_a_skill_folder_copied_alone_keeps_every_link(skill_md, tmp_path):
    """What every per-skill installer does: copy the folder, nothing around it."""
    copy = shutil.copytree(skill_md.parent, tmp_path / skill_md.parent.name)
    checked = 0
    for page in copy.rglob("*.md"):
        for target in render_docs.relative_links(page.read_text(encoding="utf-8")):
            resolved = (page.parent / target).resolve()
            assert resolved.exists(), f"{page.relative_to(copy)} -> {target}"
            assert resolved.is_relative_to(copy), f"{page.relative_to(copy)} -> {target}"
            checked += 1
    assert checked >= 1


@pytest.mark.parametrize("skill_md", SKILLS, ids=lambda p: p.parent.name)
def test_skill_md_links_reach_files_one_level_down(skill_md):
    """SKILL.md routes; what it links sits directly in references/, assets/ or scripts/."""
    for target in render_docs.relative_links(skill_md.read_text(encoding="utf-8")):
        parts = Path(target).parts
        assert parts[0] in render_docs.GENERATED + render_docs.SKILL_OWNED, target
        assert len(parts) <= 3, f"{target}: more than one folder below the skill root"


def test_the_render_refuses_a_link_that_leaves_the_skill_folder(tmp_path):
    skill = tmp_path / "skills" / "demo"
    skill.mkdir(parents=True)
    (tmp_path / "examples").mkdir()
    (skill / "SKILL.md").write_text("See [x](../../references/x.md).\n")
    (tmp_path / "references").mkdir()
    (tmp_path / "references" / "x.md").write_text("x\n")
    with pytest.raises(render_docs.RenderError, match="leaves the skill folder"):
        render_docs.plan(tmp_path)


def test_there_is_at_least_one_skill():
    assert (ROOT / "skills/python-database-patterns/SKILL.md") in SKILLS


SPEC_KEYS = {"name", "description", "license", "compatibility", "metadata", "allowed-tools"}


@pytest.mark.parametrize("path", SKILLS, ids=rel)
def test_skill_frontmatter_follows_agent_skills_rules(path):
    meta, body = frontmatter(path)
    assert set(meta) <= SPEC_KEYS, set(meta) - SPEC_KEYS
    assert len(meta.get("compatibility", "")) <= 500
    name = meta.get("name")
    assert name == path.parent.name
    assert len(name) <= 64 and NAME_RULE.match(name), "lowercase letters, digits, single hyphens"
    description = meta.get("description")
    assert isinstance(description, str) and 0 < len(description) <= 1024
    assert "Use when" in description, "say when to use the skill"
    assert len(body.splitlines()) < 500


@pytest.mark.parametrize("path", sorted(ROOT.glob("references/*.md")), ids=rel)
def test_long_references_have_a_table_of_contents(path):
    text = path.read_text(encoding="utf-8")
    if len(text.splitlines()) > 100:
        assert re.search(r"^## (Contents|Table of contents)", text, re.MULTILINE | re.IGNORECASE)


PAGE_BUDGET = 8_000  # tokens an agent pays to open one reference page


@pytest.mark.parametrize("path", sorted(ROOT.glob("references/**/*.md")), ids=rel)
def test_no_reference_page_costs_more_than_the_page_budget(path):
    """Estimated at 4 characters a token (close to Claude's tokenizer on English and code)."""
    assert len(path.read_text(encoding="utf-8")) / 4 <= PAGE_BUDGET, "split it by topic"


# ---- names and paths an agent follows ------------------------------------------------------
# A shipped page (SKILL.md or a skill's references/*.md) is read inside one installed skill
# folder. The rule for what it names:
# - a skill: "the `name` skill" or "the name skill" must name a folder under skills/;
# - a script path `scripts/x.py` is one the agent can run, so it must exist in the page's own
#   skill folder, unless the sentence says whose it is: "the `name` skill's scripts/x.py"
#   (must exist in that skill) or "the repository's scripts/x.py" (a maintainer tool of this
#   repository, not shipped: must exist in the repository's scripts/).
SKILL_NAMES = {path.parent.name for path in SKILLS}
SHIPPED_PAGES = sorted(ROOT.glob("skills/*/SKILL.md")) + sorted(
    ROOT.glob("skills/*/references/*.md")
)
SKILL_MENTION = re.compile(r"\bthe\s+`?([A-Za-z][\w-]*)`?\s+skill\b")
SCRIPT_MENTION = re.compile(
    r"(?:[Tt]he\s+(?P<owner>repository|`[\w-]+`\s+skill)'s\s+`?)?(?<![\w.-])(?<![\w.-]/)scripts/(?P<path>[\w/.-]+\.py)"
)
KNOWN_BROKEN: dict[str, str] = {}  # page -> why (strict xfail: fails once fixed)


def broken_references(page: Path) -> list[str]:
    skill_dir = page.parent if page.name == "SKILL.md" else page.parent.parent
    text = re.sub(r"<!--.*?-->", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)
    text = re.sub(r"\s+", " ", text)  # a name may wrap onto the next line
    broken = [f"skill {m[1]!r}" for m in SKILL_MENTION.finditer(text) if m[1] not in SKILL_NAMES]
    for match in SCRIPT_MENTION.finditer(text):
        owner, path = match["owner"], match["path"]
        if owner == "repository":
            where = ROOT / "scripts" / path
        elif owner:
            where = ROOT / "skills" / owner.split("`")[1] / "scripts" / path
        else:
            where = skill_dir / "scripts" / path
        if not where.is_file():
            broken.append(f"{match[0]!r} (no such file: {where})")
    return broken


@pytest.mark.parametrize(
    "page",
    [
        pytest.param(p, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BROKEN[rel(p)]))
        if rel(p) in KNOWN_BROKEN
        else p
        for p in SHIPPED_PAGES
    ],
    ids=rel,
)
def test_skill_names_and_script_paths_in_shipped_pages_resolve(page):
    assert broken_references(page) == []


def test_the_reference_check_catches_what_an_agent_could_not_follow(tmp_path):
    page = tmp_path / "skills" / "demo" / "references" / "x.md"
    page.parent.mkdir(parents=True)
    page.write_text(
        "See the core skill and the `database-testing` skill. Run `scripts/bench.py`; the\n"
        "repository's `scripts/bench.py` exists, the repository's scripts/nope.py does not, nor\n"
        "the `database-testing` skill's scripts/lint_models.py; the `python-database-patterns`\n"
        "skill's `scripts/lint_models.py` does.\n"
    )
    found = broken_references(page)
    assert len(found) == 4, found
    assert found[0] == "skill 'core'"
    assert found[1].startswith("'scripts/bench.py'")  # not in the demo skill's folder
    assert found[2].startswith('"the repository\'s scripts/nope.py"')
    assert "database-testing" in found[3]
