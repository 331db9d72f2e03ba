"""The plugin installs the way the README says, through the real ``claude`` CLI, offline.

A copy of the working tree (without .git, .venv, caches) is added as a local marketplace in a
throwaway HOME, the plugin is installed from it, and ``claude plugin details`` must list every
skill folder under skills/. No login and no network besides the one-time npm install.
"""

import json
import re
from pathlib import Path

from npm_tools import copy_checkout, run_tool
from skill_folders import dangling_links, eval_files, files

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = json.loads((ROOT / "skills/.claude-plugin/plugin.json").read_text())
MARKETPLACE = json.loads((ROOT / ".claude-plugin/marketplace.json").read_text())
SKILLS = sorted(p.parent.name for p in (ROOT / "skills").glob("*/SKILL.md"))
ALWAYS_ON_BUDGET = 600  # tokens the whole bundle adds to every session (skill listing)
ON_INVOKE_BUDGET = 2_500  # tokens one skill costs when it loads


def claude(*args, home: Path):
    result = run_tool("claude", *args, home=home)
    assert result.returncode == 0, (
        f"claude {' '.join(map(str, args))}:\n{result.stdout}{result.stderr}"
    )
    return result.stdout


def tokens(text: str) -> int:
    """``~1,450`` -> 1450, ``~2.2k`` -> 2200."""
    text = text.lstrip("~").replace(",", "")
    return round(float(text[:-1]) * 1000) if text.endswith("k") else int(text)


def test_token_figures_are_read_as_printed():
    assert [tokens(t) for t in ("~522", "~1,450", "~2.2k", "~860")] == [522, 1450, 2200, 860]


def test_marketplace_add_install_and_details_list_every_skill(tmp_path, figures):
    home = tmp_path / "home"
    checkout = copy_checkout(ROOT, tmp_path / "checkout")
    plugin_id = f"{PLUGIN['name']}@{MARKETPLACE['name']}"

    claude("plugin", "validate", "--strict", checkout, home=home)
    added = claude("plugin", "marketplace", "add", checkout, home=home)
    assert MARKETPLACE["name"] in added
    installed = claude("plugin", "install", plugin_id, home=home)
    assert plugin_id in installed

    listed = json.loads(claude("plugin", "list", "--json", home=home))
    assert [entry["id"] for entry in listed] == [plugin_id], listed
    # What Claude Code reads: the plugin's copy, the skill folders whole and nothing else of
    # the repository (no evals/, tests/ or examples/).
    installed = Path(listed[0]["installPath"])
    assert sorted(p.name for p in installed.iterdir()) == [".claude-plugin", *SKILLS]
    assert eval_files(installed) == []
    for skill in SKILLS:
        assert files(installed / skill) == files(checkout / "skills" / skill), skill
        assert dangling_links(installed / skill) == [], skill
        assert eval_files(installed / skill) == [], skill

    details = claude("plugin", "details", plugin_id, home=home)
    assert details.startswith(f"{PLUGIN['name']} {PLUGIN['version']}")
    inventory = re.search(r"^\s*Skills \((\d+)\)(.*?)^\s*Agents \(", details, re.M | re.S)
    assert inventory, details
    assert int(inventory[1]) == len(SKILLS), details
    shown = sorted(re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", inventory[2]))
    assert shown == SKILLS, details
    # Each skill gets its own row in the token-cost table: always-on and on-invoke.
    always_on = re.search(r"Always-on:\s+(~[\d,.]+k?) tok", details)
    assert always_on, details
    figures.record("claude plugin details: always-on tokens", always_on[1])
    assert tokens(always_on[1]) <= ALWAYS_ON_BUDGET, details
    for skill in SKILLS:
        row = re.search(rf"^\s+{re.escape(skill)}\s+(~[\d,.]+k?)\s+(~[\d,.]+k?)\s*$", details, re.M)
        assert row, skill
        figures.record(
            f"claude plugin details: {skill} always-on / on-invoke", f"{row[1]} / {row[2]}"
        )
        assert tokens(row[2]) <= ON_INVOKE_BUDGET, f"{skill} costs {row[2]} tokens on invoke"
