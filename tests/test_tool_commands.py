"""The tools where people run them: `pip install` of a copy of the checkout into a scratch
virtualenv, the hooks of .pre-commit-hooks.yaml on a throwaway git project, and the GitHub
Actions workflow of skills/alembic-migrations/assets/ci/ run step by step.

One virtualenv serves the module. It sees the suite's packages (SQLAlchemy, Alembic,
pre-commit, pip, setuptools) through a .pth file, as a project's virtualenv holds
the project's dependencies, but not the suite's editable install of this package; the package
under test is built from the copy offline (no index, no build isolation) and installed into the
scratch virtualenv alone.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest
import yaml
from migcheck_tools import make_project
from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent
VERSION = json.loads((ROOT / "skills" / ".claude-plugin" / "plugin.json").read_text())["version"]
REPO_URL = "https://github.com/python-database-patterns/python-database-patterns"
CI_ASSETS = ROOT / "skills" / "alembic-migrations" / "assets" / "ci"
FIXTURES = ROOT / "tests" / "fixtures"
# command -> (skill folder, script): what each console script must run
COMMANDS = {
    "check-migrations": ("alembic-migrations", "check_migrations"),
    "lint-models": ("python-database-patterns", "lint_models"),
}
HOOKS = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
# A module that imports its sibling by bare name, as check_migrations.py imports squawk_lint.py.
PROBE = {
    "probe_tool.py": textwrap.dedent(
        """\
        import sys

        import probe_sibling


        def main():
            print(probe_sibling.__file__)
            return 0


        if __name__ == "__main__":
            sys.exit(main())
        """
    ),
    "probe_sibling.py": '"""Imported by probe_tool.py by bare name."""\n',
}


def run(*args, cwd: Path, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    if check:
        assert done.returncode == 0, f"{args}: {done.stdout}{done.stderr}"
    return done


def git_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """No user or system git config (hooks, signing, templates); a fixed identity."""
    env = dict(os.environ if base is None else base)
    env |= {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    for role in ("AUTHOR", "COMMITTER"):
        env |= {f"GIT_{role}_NAME": "ci", f"GIT_{role}_EMAIL": "ci@example.invalid"}
    return env


def copy_as_clone(dest: Path) -> Path:
    """The files a clone would hold plus new ones (`git ls-files`; nothing ignored such as
    build/ or .venv), committed and tagged v<version> in a repository of their own."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split("\0")  # fmt: skip
    for rel in filter(None, listed):
        source = ROOT / rel
        if source.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / rel)
    for name, content in PROBE.items():
        (dest / "skills" / "alembic-migrations" / "scripts" / name).write_text(content)
    env = git_env()
    run("git", "init", "-q", "-b", "main", cwd=dest, env=env)
    run("git", "add", "-A", cwd=dest, env=env)
    run("git", "commit", "-q", "-m", "checkout copy", cwd=dest, env=env)
    run("git", "tag", f"v{VERSION}", cwd=dest, env=env)
    return dest


SUITE_ONLY = ("python_database_patterns", "alembic_migrations_scripts", "__editable__")


def suite_packages(dest: Path) -> Path:
    """The suite's site-packages as links, minus its editable install of this package: what
    the scratch virtualenv sees of the project's dependencies."""
    dest.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(SUITE_ONLY) and entry.suffix != ".pth":
            (dest / entry.name).symlink_to(entry)
    return dest


class Venv:
    def __init__(self, path: Path, checkout: Path, home: Path) -> None:
        self.path, self.checkout, self.bin = path, checkout, path / "bin"
        self.python = self.bin / "python"
        self.site = Path(
            subprocess.run(
                [self.python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                capture_output=True, text=True, check=True,
            ).stdout.strip()
        )  # fmt: skip
        self.env = git_env(
            {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PRE_COMMIT"))}
        ) | {
            "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "VIRTUAL_ENV": str(path),
            "PIP_CONFIG_FILE": os.devnull,  # this machine's pip settings play no part
            "PIP_NO_INDEX": "1",  # offline: every requirement is already there
            "PIP_NO_BUILD_ISOLATION": "0",  # (sic) "0" turns isolation off: build with setuptools
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PRE_COMMIT_HOME": str(home / "pre-commit"),
            "NO_COLOR": "1",
        }

    def which(self, command: str) -> str | None:
        return shutil.which(command, path=self.env["PATH"])

    def pip(self, *args: str | Path) -> None:
        run(self.bin / "pip", *args, cwd=self.path, env=self.env)


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Venv:
    base = tmp_path_factory.mktemp("commands")
    checkout = copy_as_clone(base / "checkout")
    path = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", path], check=True)
    made = Venv(path, checkout, base)
    (made.site / "suite.pth").write_text(f"{suite_packages(base / 'suite-packages')}\n")
    # pip and setuptools come from the suite's packages (ensurepip's setuptools would be too old
    # for the build); bin/pip is the wrapper pip's own install writes.
    (made.bin / "pip").write_text(
        f"#!{made.python}\nimport sys\nfrom pip._internal.cli.main import main\nsys.exit(main())\n"
    )
    (made.bin / "pip").chmod(0o755)
    # squawk-cli is "installed" through the suite's packages; its binary sits in the suite's bin.
    (made.bin / "squawk").symlink_to(Path(sys.executable).parent / "squawk")
    made.pip("install", "-q", checkout)
    return made


# ---- pip install ---------------------------------------------------------------------------


def test_commands_run_the_scripts_of_the_skill_folders(venv):
    installed = {}
    for command, (skill, module) in COMMANDS.items():
        assert venv.which(command) == str(venv.bin / command)
        # Run the console script itself; at exit, report the file its module was loaded from.
        probe = (
            "import atexit, runpy, sys\n"
            f"atexit.register(lambda: print(sys.modules[{module!r}].__file__, file=sys.stderr))\n"
            f"sys.argv = [{command!r}, '--version']\n"
            f"runpy.run_path({str(venv.bin / command)!r}, run_name='__main__')\n"
        )
        done = run(venv.python, "-c", probe, cwd=venv.path, env=venv.env)
        ran = Path(done.stderr.strip())
        assert ran.parent == venv.site / f"{skill.replace('-', '_')}_scripts"
        assert ran.read_bytes() == (ROOT / "skills" / skill / "scripts" / ran.name).read_bytes()
        installed[command] = done.stdout
    assert installed == {
        "check-migrations": f"check_migrations {VERSION}\n",
        "lint-models": f"lint_models.py {VERSION}\n",
    }
    # Every file of both scripts folders, byte for byte, and nothing else but the starter.
    wanted = {
        "python_database_patterns/__init__.py": ROOT / "src/python_database_patterns/__init__.py"
    }
    for skill, _ in COMMANDS.values():
        for script in (venv.checkout / "skills" / skill / "scripts").glob("*.py"):
            wanted[f"{skill.replace('-', '_')}_scripts/{script.name}"] = script
    got = {
        str(p.relative_to(venv.site)): p
        for p in venv.site.glob("*/*.py")
        if p.parts[-2] in {w.split("/")[0] for w in wanted}
    }
    assert sorted(got) == sorted(wanted)
    assert all(got[rel].read_bytes() == wanted[rel].read_bytes() for rel in wanted)


def test_help_and_exit_status_of_each_command(venv, tmp_path):
    for command, (_, module) in COMMANDS.items():
        done = run(command, "--help", cwd=tmp_path, env=venv.env)
        assert done.stdout.startswith(f"usage: {module}")
    found = run("lint-models", "bad", cwd=FIXTURES / "lint", env=venv.env, check=False)
    assert found.returncode == 1
    assert (
        "bad/blog_models.py:28: FK001 [warning] foreign key post(author_id) has no index"
        in found.stdout
    )
    project = make_project(tmp_path)
    checked = run("check-migrations", project, cwd=tmp_path, env=venv.env)
    assert checked.stdout.splitlines()[-1].startswith(
        "5 passed, 0 failed, 0 warnings, 1 skipped in "
    )


def test_package_requires_nothing_by_default(venv):
    metadata = next(venv.site.glob("python_database_patterns-*.dist-info")) / "METADATA"
    requires = re.findall(r"^Requires-Dist: (.*)$", metadata.read_text(), re.MULTILINE)
    by_extra: dict[str, list[str]] = {}
    for line in requires:
        name, _, marker = line.partition(";")
        extra = re.search(r'extra == "([^"]+)"', marker)
        by_extra.setdefault(extra[1] if extra else "", []).append(re.split(r"[<>=!\[ ]", name)[0])
    assert "" not in by_extra  # pip install gives the commands and nothing else
    assert by_extra["migrations"] == ["alembic"]  # no pytest plugin comes with the checker
    assert by_extra["postgresql"] == ["squawk-cli"]
    assert "fastapi" in by_extra["examples"] and "fastapi" not in by_extra["test"]


def test_readme_install_lines(venv):
    """Each `pip install` line of README's "Use the tools" section installs the commands from
    the repository's address (here the local copy; file://localhost: pip 23 rejects file:///)."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Use the tools in pre-commit and CI\n")[1].split("\n#")[0]
    lines = re.findall(r"^pip install .*$", section, re.MULTILINE)
    assert lines == [
        f'pip install "git+{REPO_URL}"',
        f'pip install "python-database-patterns[migrations,postgresql] @ git+{REPO_URL}"',
    ]
    for line in lines:
        venv.pip("uninstall", "-q", "-y", "python-database-patterns")
        local = line.replace(REPO_URL, f"file://localhost{venv.checkout}")
        run("bash", "-e", "-c", local, cwd=venv.path, env=venv.env)
        direct = next(venv.site.glob("python_database_patterns-*.dist-info")) / "direct_url.json"
        assert json.loads(direct.read_text())["url"] == f"file://localhost{venv.checkout}"
        assert run("lint-models", "--version", cwd=venv.path, env=venv.env).stdout == (
            f"lint_models.py {VERSION}\n"
        )


def test_scripts_import_their_siblings_by_bare_name(venv):
    """Installed and as a plain script in the skill folder, the same import resolves."""
    starter = (
        "import sys, python_database_patterns as p\n"
        "sys.exit(p.run_script('alembic-migrations', 'probe_tool'))\n"
    )
    installed = run(venv.python, "-c", starter, cwd=venv.path, env=venv.env)
    assert installed.stdout == f"{venv.site / 'alembic_migrations_scripts' / 'probe_sibling.py'}\n"
    folder = venv.checkout / "skills" / "alembic-migrations" / "scripts"
    plain = run(venv.python, folder / "probe_tool.py", cwd=venv.path, env=venv.env)
    assert plain.stdout == f"{folder / 'probe_sibling.py'}\n"


# ---- pre-commit ----------------------------------------------------------------------------

HOOK_LINE = re.compile(r"^(.+?)\.{3,}(?:\(no files to check\))?(Passed|Failed|Skipped)$")


def commit(project: Path, venv: Venv, overlay: Path | None, message: str):
    """Copy ``overlay`` into the project, stage everything and `git commit` with the hooks
    installed. Returns (exit status, hook id -> Passed/Failed/Skipped, output)."""
    if overlay is not None:
        shutil.copytree(overlay, project, dirs_exist_ok=True)
    run("git", "add", "-A", cwd=project, env=venv.env)
    done = run("git", "commit", "-q", "-m", message, cwd=project, env=venv.env, check=False)
    output = done.stdout + done.stderr
    names = {hook["name"]: hook_id for hook_id, hook in HOOKS.items()}
    statuses = {}
    for line in output.splitlines():
        match = HOOK_LINE.match(line)
        if match and match[1] in names:
            statuses[names[match[1]]] = match[2]
    return done.returncode, statuses, output


def commits(project: Path, venv: Venv) -> int:
    out = run("git", "rev-list", "--count", "HEAD", cwd=project, env=venv.env, check=False)
    return int(out.stdout) if out.returncode == 0 else 0


def test_pre_commit_hooks_block_bad_changes(venv, tmp_path):
    project = make_project(tmp_path)
    # The users' config from the skill's asset; only the repository moves to the local copy.
    config = (CI_ASSETS / "pre-commit-config.yaml").read_text()
    assert config.count(f"repo: {REPO_URL}\n") == 1 and f"rev: v{VERSION}\n" in config
    (project / ".pre-commit-config.yaml").write_text(config.replace(REPO_URL, str(venv.checkout)))
    run("git", "init", "-q", "-b", "main", cwd=project, env=venv.env)
    run(venv.python, "-m", "pre_commit", "install", cwd=project, env=venv.env)

    both = {"lint-models": "Passed", "check-migrations": "Passed"}
    assert commit(project, venv, None, "good project")[:2] == (0, both)
    assert commits(project, venv) == 1

    status, hooks, output = commit(project, venv, FIXTURES / "migrations" / "bad_downgrade", "0003")
    assert (status, hooks) == (1, {"lint-models": "Passed", "check-migrations": "Failed"}), output
    assert (
        "FAIL  downgrade head -> base: revision 0003 (migrations/versions/0003_backfill_slug.py) "
        "raised OperationalError: (sqlite3.OperationalError) no such table: author_slug"
    ) in output
    assert commits(project, venv) == 1  # the commit was stopped
    assert commit(project, venv, FIXTURES / "hooks" / "good_downgrade", "0003")[:2] == (0, both)

    status, hooks, output = commit(project, venv, FIXTURES / "hooks" / "unindexed_fk", "0004")
    assert (status, hooks) == (1, {"lint-models": "Failed", "check-migrations": "Passed"}), output
    assert "app/models.py:38: FK001 [warning] foreign key review(book_id) has no index" in output
    assert commits(project, venv) == 2
    assert commit(project, venv, FIXTURES / "hooks" / "indexed_fk", "0004")[:2] == (0, both)

    # Neither a revision nor a model: the migration check does not run.
    (project / "app" / "cli.py").write_text('"""Command line."""\n')
    (project / "README.md").write_text("Bookshop.\n")
    assert commit(project, venv, None, "cli")[:2] == (
        0,
        {"lint-models": "Passed", "check-migrations": "Skipped"},
    )
    assert commits(project, venv) == 4


# ---- the GitHub Actions workflow -----------------------------------------------------------


def workflow_steps() -> tuple[dict, list[dict]]:
    workflow = yaml.safe_load((CI_ASSETS / "database-checks.yml").read_text())
    assert workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` key as True
    (job,) = workflow["jobs"].values()
    return job, job["steps"]


def test_workflow_postgresql_url_matches_its_service():
    job, steps = workflow_steps()
    (service,) = job["services"].values()
    assert service["image"].startswith("postgres:")
    assert "pg_isready" in service["options"]  # steps start once the server answers
    (check,) = [s["run"] for s in steps if s.get("run", "").startswith("check-migrations ")]
    url = make_url(re.search(r"--url (\S+)", check)[1])
    host_port, _, container_port = service["ports"][0].partition(":")
    assert (url.host, url.port, container_port) == ("localhost", int(host_port), "5432")
    env = service["env"]
    assert url.username == env.get("POSTGRES_USER", "postgres")
    assert url.password == env["POSTGRES_PASSWORD"]
    assert url.database == env["POSTGRES_DB"]
    uses = [s["uses"].split("@")[0] for s in steps if "uses" in s]
    assert uses == ["actions/checkout", "actions/setup-python"]
    assert steps[0]["with"]["fetch-depth"] == 0  # history for the lint's merge-base
    python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python"))
    assert tuple(map(int, python["with"]["python-version"].split("."))) >= (3, 11)


@pytest.mark.backends("postgresql")
def test_workflow_run_steps_pass_on_a_good_project(db, venv, tmp_path):
    """Every `run:` line, as written, in a project laid out as the comments say; two swaps: the
    GitHub address becomes the local copy, and the service's URL the test server's."""
    venv.pip("uninstall", "-q", "-y", "python-database-patterns")  # the workflow installs it
    # A pull request: main holds the good project, the branch adds revision 0003.
    project = make_project(tmp_path)
    (project / "requirements.txt").write_text("sqlalchemy\nalembic\npsycopg[binary]\n")
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "main"]):
        run("git", *command, cwd=project, env=venv.env)
    run("git", "checkout", "-qb", "feature", cwd=project, env=venv.env)
    shutil.copytree(FIXTURES / "hooks" / "good_downgrade", project, dirs_exist_ok=True)
    run("git", "add", "-A", cwd=project, env=venv.env)
    run("git", "commit", "-qm", "0003", cwd=project, env=venv.env)
    _, steps = workflow_steps()
    service_url = re.search(r"--url (\S+)", steps[-1]["run"])[1]
    assert make_url(service_url).drivername == make_url(db.url).drivername
    outputs = []
    for step in (s for s in steps if "run" in s):
        # file://localhost/...: pip 23's URL parser rejects an empty host (newer pips do not).
        local = f"file://localhost{venv.checkout}"
        line = step["run"].replace(REPO_URL, local).replace(service_url, db.url)
        done = run("bash", "-e", "-c", line, cwd=project, env=venv.env, check=False)
        assert done.returncode == 0, f"{step['name']}: {done.stdout}{done.stderr}"
        outputs.append(done.stdout)
    assert [s["name"] for s in steps if "run" in s][-2:] == [
        "Lint the models",
        "Check the migrations on PostgreSQL",
    ]
    lint, check = outputs[-2:]
    assert lint == ""
    # The squawk lint ran on PostgreSQL and read the branch's revision (fetch-depth: 0 gives it
    # the history; a shallow clone would make it lint every revision).
    assert re.search(
        r"^PASS  squawk lint: 1 revision .*\(0003\), no unsafe operation$", check, re.M
    )
    assert check.splitlines()[-1].startswith("6 passed, 0 failed, 0 warnings, 0 skipped in ")
    # The workflow's install line put the package there from the tagged commit.
    assert venv.which("check-migrations") == str(venv.bin / "check-migrations")
    direct = next(venv.site.glob("python_database_patterns-*.dist-info")) / "direct_url.json"
    assert json.loads(direct.read_text())["vcs_info"]["requested_revision"] == f"v{VERSION}"
    engine = create_engine(db.url)
    with engine.connect() as conn:
        left = conn.execute(
            text("select datname from pg_database where datname like :p"),
            {"p": f"{db.sa_url.database}_migcheck_%"},
        ).all()
    engine.dispose()
    assert left == []
