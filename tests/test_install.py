"""scripts/install.sh: self-contained skill folders in ~/.claude/skills, safe to re-run.

The script runs for real (``sh scripts/install.sh --source ...``) into a temporary HOME; no test
touches the network. The checkout itself is one source; a small made-up repository is the other,
so link following and rewriting are checked against exact expectations.
"""

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from npm_tools import IN_CI, copy_checkout, run_tool
from skill_folders import eval_files

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "install.sh"
SKILLS = sorted(p.name for p in (ROOT / "skills").iterdir() if (p / "SKILL.md").is_file())
LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCE = re.compile(r"^\s*(```|~~~).*?^\s*(```|~~~)", re.MULTILINE | re.DOTALL)
SHELL = os.environ.get("INSTALL_TEST_SHELL", "sh")  # e.g. bash, to try another shell
ONE_LINER = (
    "curl -fsSL https://raw.githubusercontent.com/python-database-patterns/"
    "python-database-patterns/main/scripts/install.sh | sh"
)


def install(*args, home: Path, cwd: Path | None = None, path: str | None = None):
    env = {"HOME": str(home), "PATH": path or os.environ["PATH"], "LANG": "C"}
    return subprocess.run(
        [SHELL, str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or home,
        timeout=120,
    )


def ok(result) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Every file and folder below ``folder`` with its mtime and content."""
    state = {}
    for path in sorted(folder.rglob("*")):
        content = path.read_bytes() if path.is_file() else b"<dir>"
        state[str(path.relative_to(folder))] = (path.stat().st_mtime_ns, content)
    return state


def links(markdown: Path) -> list[str]:
    """Relative link targets (file part) outside fenced code blocks."""
    text = FENCE.sub("", markdown.read_text(encoding="utf-8"))
    found = []
    for target in LINK.findall(text):
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", target) or target.startswith(("#", "/")):
            continue
        found.append(target.split("#")[0])
    return found


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


# A made-up repository of self-contained skill folders: an anchor, a folder link, a reference
# that links a sibling, a link inside a code fence, an external URL, and a top-level file no
# skill folder holds (sources live there; installers never read them).
MINI = {
    "LICENSE": "MIT\n",
    "skills/alpha/SKILL.md": (
        "---\nname: alpha\ndescription: Does alpha things. Use when alpha.\n---\n"
        "Read [one](references/one.md#part-two), [web](https://example.com/a.md), [top](#top)\n"
        "and ![templates](assets/tmpl/).\n"
        "```text\n[in a fence](../../references/absent.md)\n```\n"
    ),
    "skills/alpha/LICENSE": "MIT\n",
    "skills/alpha/references/one.md": "See [two](two.md) and [the skill](../SKILL.md).\n",
    "skills/alpha/references/two.md": "Two.\n",
    "skills/alpha/assets/tmpl/a.ini": "[a]\n",
    "skills/alpha/assets/tmpl/sub/b.ini": "[b]\n",
    "skills/beta/SKILL.md": (
        "---\nname: beta\ndescription: Does beta things. Use when beta.\n---\n"
        "Only [two](references/two.md).\n"
    ),
    "skills/beta/references/two.md": "Two.\n",
    "references/unlinked.md": "A source; no skill folder holds it.\n",
}


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """A snapshot of the working tree, so files others are editing hold still during the run."""
    return copy_checkout(ROOT, tmp_path_factory.mktemp("src") / "checkout")


@pytest.fixture(scope="module")
def checkout_install(checkout, tmp_path_factory):
    """Every skill of the checkout installed into a fresh HOME, in one run."""
    home = tmp_path_factory.mktemp("home")
    ok(install("--source", checkout, home=home))
    return home / ".claude" / "skills"


@pytest.fixture(scope="module")
def installed_one(checkout, tmp_path_factory):
    """``installed_one(skill)``: that skill alone installed into its own HOME (once per run),
    so a skill with a broken link fails its own tests only."""
    done: dict[str, Path] = {}

    def get(skill: str) -> Path:
        if skill not in done:
            home = tmp_path_factory.mktemp(f"home-{skill}")
            ok(install("--source", checkout, skill, home=home))
            done[skill] = home / ".claude" / "skills" / skill
        return done[skill]

    return get


@pytest.fixture
def mini(tmp_path) -> Path:
    return write(tmp_path / "mini", MINI)


# ---- the checkout installs completely ---------------------------------------------------


def test_every_skill_of_the_checkout_is_installed_as_its_folder(checkout, checkout_install):
    assert sorted(p.name for p in checkout_install.iterdir()) == SKILLS
    for skill in SKILLS:
        installed = files(checkout_install / skill)
        installed.pop(".install-manifest")
        assert installed == files(checkout / "skills" / skill), skill
        assert eval_files(checkout_install / skill) == [], skill


@pytest.mark.parametrize("skill", SKILLS)
def test_every_relative_link_resolves_inside_the_installed_folder(checkout, installed_one, skill):
    folder = installed_one(skill).resolve()
    checked = 0
    for markdown in folder.rglob("*.md"):
        for target in links(markdown):
            resolved = (markdown.parent / target).resolve()
            assert resolved.exists(), f"{markdown.relative_to(folder)} -> {target}"
            assert resolved.is_relative_to(folder), f"{markdown.relative_to(folder)} -> {target}"
            checked += 1
    source_links = links(checkout / "skills" / skill / "SKILL.md")
    assert checked >= len(source_links)


@pytest.mark.parametrize("skill", SKILLS)
def test_the_manifest_records_every_installed_file(installed_one, skill):
    folder = installed_one(skill)
    lines = [
        line.split("  ", 1)
        for line in (folder / ".install-manifest").read_text().splitlines()
        if not line.startswith("#")
    ]
    recorded = {rel: digest for digest, rel in lines}
    on_disk = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()} - {
        ".install-manifest"
    }
    assert set(recorded) == on_disk
    for rel, digest in recorded.items():
        assert hashlib.sha256((folder / rel).read_bytes()).hexdigest() == digest, rel


@pytest.mark.parametrize("skill", SKILLS)
def test_skills_ref_accepts_each_installed_folder(installed_one, skill, tmp_path):
    result = run_tool("skills-ref", "validate", installed_one(skill), home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


# ---- copying, on the made-up repository ---------------------------------------------------


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_skill_folder_is_copied_as_it_is(mini, tmp_path):
    dest = tmp_path / "skills"
    ok(install("--source", mini, "--dir", dest, "alpha", home=tmp_path))
    installed = files(dest / "alpha")
    assert sorted(installed) == [
        ".install-manifest",
        "LICENSE",
        "SKILL.md",
        "assets/tmpl/a.ini",
        "assets/tmpl/sub/b.ini",
        "references/one.md",
        "references/two.md",
    ]  # nothing from outside the folder: references/unlinked.md stays behind
    for rel, content in installed.items():
        if rel != ".install-manifest":
            assert content == (mini / "skills/alpha" / rel).read_bytes(), rel


def test_a_tarball_source_installs_the_same_files_as_a_checkout(mini, tmp_path):
    archive = tmp_path / "main.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:  # laid out like GitHub's branch archive
        tar.add(mini, arcname="python-database-patterns-main")
    ok(install("--source", mini, "--dir", tmp_path / "a", home=tmp_path))
    ok(install("--source", archive, "--dir", tmp_path / "b", home=tmp_path))
    a = {k: v[1] for k, v in snapshot(tmp_path / "a").items()}
    b = {k: v[1] for k, v in snapshot(tmp_path / "b").items()}
    assert a == b
    assert "beta/SKILL.md" in a


@pytest.mark.parametrize(
    ("page", "text", "reported"),
    [
        ("skills/alpha/references/two.md", "See [nothing](gone.md).\n", "gone.md (missing)"),
        ("skills/beta/SKILL.md", "Up [out](../../references/unlinked.md).\n",
         "../../references/unlinked.md (leaves the skill folder)"),
    ],
    ids=["missing", "outside"],
)  # fmt: skip
def test_a_skill_folder_that_is_not_self_contained_stops_the_install(
    mini, tmp_path, page, text, reported
):
    write(mini, {page: text})
    result = install("--source", mini, home=tmp_path)
    assert result.returncode == 1
    assert reported in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / ".claude").exists()


def test_it_runs_without_python_as_curl_pipe_sh_would(mini, tmp_path):
    """Only POSIX tools on PATH, the script read from stdin: no python3 needed."""
    tools = tmp_path / "bin"
    tools.mkdir()
    for name in ("sh", "awk", "sed", "grep", "find", "sort", "uniq", "head", "cp", "mv", "rm",
                 "mkdir", "mktemp", "dirname", "basename", "cat", "cmp", "tr", "wc", "rmdir",
                 "sha256sum", "tar", "gzip"):  # fmt: skip
        (tools / name).symlink_to(shutil.which(name))
    result = subprocess.run(
        ["sh", "-s", "--", "--source", str(mini)],
        input=SCRIPT.read_text(),
        capture_output=True,
        text=True,
        env={"HOME": str(tmp_path), "PATH": str(tools)},
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / ".claude/skills").iterdir()) == ["alpha", "beta"]


# ---- re-running, edits, --force, --uninstall ---------------------------------------------


def test_a_second_run_changes_nothing(mini, tmp_path):
    ok(install("--source", mini, home=tmp_path))
    skills = tmp_path / ".claude" / "skills"
    before = snapshot(skills)
    out = ok(install("--source", mini, home=tmp_path))
    assert out.splitlines() == ["unchanged alpha", "unchanged beta"]
    assert snapshot(skills) == before


def test_an_edited_file_is_kept_unless_forced(mini, tmp_path):
    ok(install("--source", mini, home=tmp_path))
    skills = tmp_path / ".claude" / "skills"
    edited = skills / "alpha" / "references" / "one.md"
    edited.write_text("my notes\n")
    (skills / "beta" / "references" / "two.md").unlink()  # beta needs repair; nothing written
    before = snapshot(skills)

    refused = install("--source", mini, home=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1, refused.stderr
    assert "alpha/references/one.md" in refused.stderr and "--force" in refused.stderr
    assert snapshot(skills) == before

    out = ok(install("--source", mini, "--force", home=tmp_path))
    assert "updated alpha" in out and "updated beta" in out
    assert "[two](two.md)" in edited.read_text()
    assert (skills / "beta/references/two.md").read_text() == MINI["skills/beta/references/two.md"]


def test_an_update_replaces_changed_files_and_keeps_the_users_own(mini, tmp_path):
    ok(install("--source", mini, home=tmp_path))
    alpha = tmp_path / ".claude" / "skills" / "alpha"
    (alpha / "my-notes.md").write_text("mine\n")
    write(mini, {"skills/alpha/assets/tmpl/a.ini": "[changed]\n", "skills/beta/new.md": "New.\n"})
    out = ok(install("--source", mini, home=tmp_path))
    assert "updated alpha" in out and "updated beta" in out
    assert (alpha / "assets/tmpl/a.ini").read_text() == "[changed]\n"
    assert (alpha / "my-notes.md").read_text() == "mine\n"
    assert not (alpha / "new.md").exists()  # beta's own file is not alpha's

    write(mini, {"skills/beta/new.md": "Newer.\n"})  # reaches beta only
    out = ok(install("--source", mini, home=tmp_path))
    assert out.splitlines()[0] == "unchanged alpha"
    assert out.splitlines()[1].startswith("updated beta")
    assert (alpha.parent / "beta" / "new.md").read_text() == "Newer.\n"
    assert (alpha / "my-notes.md").read_text() == "mine\n"


def test_a_file_of_the_user_in_the_way_is_not_overwritten(mini, tmp_path):
    dest = tmp_path / "skills"
    write(dest, {"alpha/SKILL.md": "my own alpha\n"})
    refused = install("--source", mini, "--dir", dest, home=tmp_path)
    assert refused.returncode == 1 and "alpha/SKILL.md" in refused.stderr
    assert (dest / "alpha/SKILL.md").read_text() == "my own alpha\n"
    assert not (dest / "beta").exists()


def test_uninstall_removes_only_what_it_installed(mini, tmp_path):
    ok(install("--source", mini, home=tmp_path))
    skills = tmp_path / ".claude" / "skills"
    (skills / "alpha" / "references" / "mine.md").write_text("keep me\n")
    (skills / "other-skill").mkdir()
    (skills / "other-skill" / "SKILL.md").write_text("not ours\n")

    out = ok(install("--uninstall", home=tmp_path))
    assert "removed alpha" in out and "removed beta" in out
    remaining = sorted(str(p.relative_to(skills)) for p in skills.rglob("*"))
    assert remaining == [
        "alpha",
        "alpha/references",
        "alpha/references/mine.md",
        "other-skill",
        "other-skill/SKILL.md",
    ]


def test_uninstall_keeps_edited_files_unless_forced(mini, tmp_path):
    ok(install("--source", mini, home=tmp_path))
    skills = tmp_path / ".claude" / "skills"
    (skills / "beta" / "SKILL.md").write_text("edited\n")
    before = snapshot(skills)
    refused = install("--uninstall", home=tmp_path)
    assert refused.returncode == 1 and "beta/SKILL.md" in refused.stderr
    assert snapshot(skills) == before
    ok(install("--uninstall", "--force", "beta", home=tmp_path))
    assert not (skills / "beta").exists()
    assert (skills / "alpha" / "SKILL.md").exists()


def test_named_skills_and_a_project_dir(mini, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    ok(install("--source", mini, "--dir", ".claude/skills", "beta", home=tmp_path, cwd=project))
    assert sorted(p.name for p in (project / ".claude/skills").iterdir()) == ["beta"]
    assert not (tmp_path / ".claude").exists()


# ---- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--bogus"],
        ["no-such-skill"],
        ["../alpha"],
        ["--dir"],
        ["--source", "/nonexistent/checkout"],
        ["--uninstall", "alpha"],  # not installed
    ],
    ids=["unknown-option", "unknown-skill", "path-as-skill", "missing-value", "bad-source",
         "uninstall-missing"],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(mini, tmp_path, args):
    result = install("--source", mini, *args, home=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("install.sh: ")
    assert not (tmp_path / ".claude").exists()


def test_help(tmp_path):
    out = ok(install("--help", home=tmp_path))
    for option in ("--dir", "--source", "--force", "--uninstall"):
        assert option in out


def test_shellcheck_is_clean():
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        message = "shellcheck not found; apt-get install shellcheck"
        if IN_CI:
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message)
    result = subprocess.run([shellcheck, str(SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_readme_gives_the_one_liners():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Install\n", 1)[1].split("\n## ", 1)[0]
    assert ONE_LINER in section
    assert f"{ONE_LINER} -s -- --dir .claude/skills" in section
    assert ONE_LINER.split("main/", 1)[1].split(" ")[0] == "scripts/install.sh"


def test_the_alembic_set_up_runs_from_the_installed_skill_folder(installed_one, tmp_path):
    """SKILL.md tells the agent to run scripts/render_alembic.py from the skill's folder: it
    must find its templates there, from any working directory, and the set-up must migrate."""
    script = installed_one("alembic-migrations") / "scripts" / "render_alembic.py"
    project = tmp_path / "proj"
    (project / "app").mkdir(parents=True)
    (project / "app" / "__init__.py").write_text("")
    (project / "app" / "models.py").write_text(
        "from sqlalchemy import MetaData, Table, Column, Integer\n"
        "metadata = MetaData()\n"
        "Table('thing', metadata, Column('id', Integer, primary_key=True))\n"
    )
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{project / 'app.db'}"}

    def run(*args: str | Path, cwd: Path) -> str:
        result = subprocess.run(
            list(map(str, args)), capture_output=True, text=True, cwd=cwd, env=env, timeout=120
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    run(sys.executable, script, project, "--metadata", "app.models:metadata", cwd=tmp_path)
    alembic = [sys.executable, "-m", "alembic"]
    run(*alembic, "revision", "--autogenerate", "-m", "thing", cwd=project)
    run(*alembic, "upgrade", "head", cwd=project)
    tables = sqlite3.connect(project / "app.db").execute("select name from sqlite_master")
    assert {"thing", "alembic_version"} <= {name for (name,) in tables}
