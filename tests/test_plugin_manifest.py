"""The plugin and marketplace manifests agree with each other and with the rest of the repo.

The real validator (``claude plugin validate --strict``) runs in test_validators.py; these are
the project's own rules on top: one version everywhere, one repository address everywhere.
"""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = json.loads((ROOT / "skills/.claude-plugin/plugin.json").read_text())
MARKETPLACE = json.loads((ROOT / ".claude-plugin/marketplace.json").read_text())
REPO = "python-database-patterns/python-database-patterns"
TOOLS = [
    "skills/alembic-migrations/scripts/check_migrations.py",
    "skills/python-database-patterns/scripts/lint_models.py",
]


def entry() -> dict:
    entries = {p["name"]: p for p in MARKETPLACE["plugins"]}
    return entries["python-database-patterns"]


def test_plugin_manifest_fields():
    assert PLUGIN["name"] == "python-database-patterns"
    assert re.fullmatch(r"\d+\.\d+\.\d+", PLUGIN["version"])
    for key in ("description", "author", "license", "keywords", "repository", "homepage"):
        assert PLUGIN.get(key), key
    assert PLUGIN["author"]["name"]
    assert all(re.fullmatch(r"[a-z0-9-]+", k) for k in PLUGIN["keywords"]), PLUGIN["keywords"]


def test_marketplace_lists_this_plugin_as_the_skills_folder():
    """The plugin is skills/ (its manifest says the skills sit right there): an install copies
    the skill folders and nothing else of the repository (no evals, tests or examples)."""
    assert re.fullmatch(r"[a-z0-9-]+", MARKETPLACE["name"])
    assert MARKETPLACE["owner"]["name"]
    assert entry()["source"] == "./skills"
    assert PLUGIN["skills"] == "./"
    assert entry()["description"] == PLUGIN["description"]


def test_one_version_everywhere():
    assert entry()["version"] == PLUGIN["version"]
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(rf'^version = "{re.escape(PLUGIN["version"])}"$', pyproject, re.MULTILINE)
    # The tools print it with --version; they run from a copied skill folder too, hence a literal.
    for tool in TOOLS:
        found = re.findall(r'^__version__ = "([^"]*)"', (ROOT / tool).read_text(), re.MULTILINE)
        assert found == [PLUGIN["version"]], tool


def test_license_matches_the_license_file():
    assert PLUGIN["license"] == entry()["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_one_repository_address_everywhere():
    url = f"https://github.com/{REPO}"
    assert PLUGIN["homepage"] == PLUGIN["repository"] == url
    assert f'REPO="{REPO}"' in (ROOT / "scripts/install.sh").read_text()
    readme = (ROOT / "README.md").read_text()
    assert f"/plugin marketplace add {REPO}" in readme
    assert f"/plugin install {PLUGIN['name']}@{MARKETPLACE['name']}" in readme
