import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = json.loads((ROOT / ".claude-plugin/plugin.json").read_text())
MARKETPLACE = json.loads((ROOT / ".claude-plugin/marketplace.json").read_text())


def test_plugin_manifest_fields():
    assert PLUGIN["name"] == "python-database-patterns"
    assert re.fullmatch(r"\d+\.\d+\.\d+", PLUGIN["version"])
    for key in ("description", "author", "license", "keywords", "repository", "homepage"):
        assert PLUGIN.get(key), key


def test_marketplace_lists_this_plugin_at_the_repo_root():
    assert re.fullmatch(r"[a-z0-9-]+", MARKETPLACE["name"])
    assert MARKETPLACE["owner"]["name"]
    entries = {p["name"]: p for p in MARKETPLACE["plugins"]}
    entry = entries["python-database-patterns"]
    assert entry["source"] == "./"
    assert entry.get("version", PLUGIN["version"]) == PLUGIN["version"]


def test_versions_agree_with_pyproject():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'version = "{PLUGIN["version"]}"' in pyproject
