"""The real validators accept the checkout: skills-ref on every skill, claude on the plugin.

``skills-ref validate`` enforces the Agent Skills spec (it rejects frontmatter keys outside
name, description, license, compatibility, metadata and allowed-tools);
``claude plugin validate --strict`` checks the plugin and marketplace manifests and every
skill's frontmatter as Claude Code reads them, with warnings counted as errors.

The plugin is the skills/ folder itself (its manifest says ``"skills": "./"``), so an install
copies nothing else of the repository. The validator does not read skills found through such a
path, so the frontmatter checks run on the same files in the default layout, built in a temp
folder: ``<plugin>/.claude-plugin/plugin.json`` and ``<plugin>/skills/<skill>/``.
"""

import json
import shutil
from pathlib import Path

import pytest
from npm_tools import copy_checkout, run_tool

ROOT = Path(__file__).resolve().parent.parent
SKILL_DIRS = sorted(p.parent for p in (ROOT / "skills").glob("*/SKILL.md"))


@pytest.mark.parametrize("skill_dir", SKILL_DIRS, ids=lambda p: p.name)
def test_skills_ref_accepts_the_skill(skill_dir, tmp_path):
    result = run_tool("skills-ref", "validate", skill_dir, home=tmp_path / "home")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Valid skill" in result.stdout


def test_skills_ref_rejects_a_claude_only_key(tmp_path):
    """The check above has teeth: a key outside the spec fails it."""
    skill = tmp_path / "demo-skill"
    skill.mkdir()
    (skill / "SKILL.md").write_text(
        "---\nname: demo-skill\ndescription: Demo. Use when testing.\n"
        'argument-hint: "[table]"\n---\n\n# Demo\n'
    )
    result = run_tool("skills-ref", "validate", skill, home=tmp_path / "home")
    assert result.returncode != 0
    assert "argument-hint" in result.stdout + result.stderr


def strict_report(path: Path, home: Path) -> dict:
    result = run_tool("claude", "plugin", "validate", "--strict", "--json", path, home=home)
    report = json.loads(result.stdout)
    assert (result.returncode == 0) == report["success"], result.stderr
    return report


def test_claude_strict_validation_passes_on_the_checkout(tmp_path):
    report = strict_report(ROOT, tmp_path / "home")
    problems = report["manifest"]["errors"] + report["manifest"]["warnings"]
    for item in report["contents"]:
        problems += item.get("errors", []) + item.get("warnings", [])
    assert report["success"], json.dumps(problems, indent=2)
    assert problems == []


def default_layout(checkout: Path, dest: Path) -> Path:
    """The checkout's plugin manifest and skill folders, laid out as a plugin by default is."""
    manifest = json.loads((checkout / "skills" / ".claude-plugin" / "plugin.json").read_text())
    manifest.pop("skills")
    (dest / ".claude-plugin").mkdir(parents=True)
    (dest / ".claude-plugin" / "plugin.json").write_text(json.dumps(manifest))
    for skill_md in sorted((checkout / "skills").glob("*/SKILL.md")):
        shutil.copytree(skill_md.parent, dest / "skills" / skill_md.parent.name)
    return dest / ".claude-plugin" / "plugin.json"


def test_claude_strict_validation_reads_every_skill(tmp_path):
    report = strict_report(default_layout(ROOT, tmp_path / "plugin"), tmp_path / "home")
    problems = [p for item in report["contents"] for p in item["errors"] + item["warnings"]]
    assert report["success"] and problems == [], json.dumps(report["contents"], indent=2)
    wanted = sorted(f"python-database-patterns:{p.name}" for p in SKILL_DIRS)
    assert sorted(report["provides"]["skills"]) == wanted


def test_claude_strict_validation_checks_the_plugin_manifest(tmp_path):
    report = strict_report(ROOT / "skills" / ".claude-plugin" / "plugin.json", tmp_path / "home")
    assert report["success"], json.dumps(report["manifest"], indent=2)
    assert report["manifest"]["type"] == "plugin"
    provided = sorted(report["provides"]["skills"])
    wanted = sorted(f"python-database-patterns:{p.name}" for p in SKILL_DIRS)
    assert provided == wanted, "every folder under skills/ is a skill the plugin provides"


def test_claude_strict_validation_reads_the_skills_of_the_checkout(tmp_path):
    """Not a rubber stamp: one malformed frontmatter value in a copy of the checkout fails it."""
    checkout = copy_checkout(ROOT, tmp_path / "checkout")
    skill = checkout / "skills" / "python-database-patterns" / "SKILL.md"
    skill.write_text(skill.read_text().replace("\n---\n", "\nallowed-tools: 5\n---\n", 1))
    plugin = tmp_path / "plugin"
    report = strict_report(default_layout(checkout, plugin), tmp_path / "home")
    assert not report["success"]
    broken = plugin / "skills" / "python-database-patterns" / "SKILL.md"
    assert [item["file"] for item in report["contents"] if item["errors"]] == [str(broken)]
