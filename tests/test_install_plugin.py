"""The plugin installs the way the README says, through the real ``claude`` CLI, offline.

A copy of the working tree (without .git, .venv, caches) is added as a local marketplace in a
throwaway HOME, the plugin is installed from it, and ``claude plugin details`` must list every
skill folder under skills/. No login and no network besides the one-time npm install.
"""

import json
import re
from pathlib import Path

from npm_tools import copy_checkout, run_tool

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = json.loads((ROOT / ".claude-plugin/plugin.json").read_text())
MARKETPLACE = json.loads((ROOT / ".claude-plugin/marketplace.json").read_text())
SKILLS = sorted(p.name for p in (ROOT / "skills").iterdir() if p.is_dir())


def claude(*args, home: Path):
    result = run_tool("claude", *args, home=home)
    assert result.returncode == 0, (
        f"claude {' '.join(map(str, args))}:\n{result.stdout}{result.stderr}"
    )
    return result.stdout


def test_marketplace_add_install_and_details_list_every_skill(tmp_path):
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

    details = claude("plugin", "details", plugin_id, home=home)
    assert details.startswith(f"{PLUGIN['name']} {PLUGIN['version']}")
    inventory = re.search(r"^\s*Skills \((\d+)\)(.*?)^\s*Agents \(", details, re.M | re.S)
    assert inventory, details
    assert int(inventory[1]) == len(SKILLS), details
    shown = sorted(re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", inventory[2]))
    assert shown == SKILLS, details
    # Each skill also gets its own row in the token-cost table.
    for skill in SKILLS:
        assert re.search(rf"^\s+{re.escape(skill)}\s+~", details, re.MULTILINE), skill
