"""check_migrations.py opens the layouts real projects have: Flask-Migrate (migrations/alembic.ini,
an env.py that needs the Flask app), an ini with several sections (-n), an ini in another folder
(-c, relative script_location), pyproject.toml [tool.alembic] alone, a history whose first
tables came from create_all() (--base-metadata). It says in one line what is wrong for
SQLAlchemy < 2.0 and for a setting the project's import needs, and what it needs, installed in
the project's environment, leaves the project's own pytest run as it was.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import legacy_venvs
import pytest
from conftest import SERVER_URLS, _server_error
from migcheck_tools import (
    FIXTURES,
    Batch,
    check,
    configure_line,
    copy_project,
    install_checker,
    lock_warning,
    make_project,
    server_url,
)
from sqlalchemy import make_url

PG = SERVER_URLS["postgresql"]
MAINTENANCE = server_url(PG, "postgres")
# Any PostgreSQL URL will do for the app: the checker redirects it to its throwaway database.
UNUSED = server_url(PG, f"{make_url(PG).database}_never_created")
LINT_SKIPPED = "SKIP  squawk lint: PostgreSQL only (pass --url)"


def passed(head: str, revisions: str) -> list[str]:
    return [
        f"PASS  single head: {head}",
        f"PASS  upgrade base -> head: {revisions}",
        "PASS  models match migrations: autogenerate finds no difference",
        "PASS  downgrade head -> base",
        f"PASS  upgrade base -> head again: {revisions}",
    ]


LEGACY = ("sqlalchemy==1.4.54", "alembic==1.13.3")  # Alembic 1.13: the last for SQLAlchemy 1.3/1.4


def backend_folder(base: Path) -> Path:
    """good/ in repo/backend/, its ini naming script_location relative to backend/ (the
    full-stack template's layout), checked from repo/ with -c backend/alembic.ini."""
    project = make_project(base / "repo")  # -> base/repo/project
    repo = base / "outer" / "repo"
    repo.mkdir(parents=True)
    backend = project.rename(repo / "backend")
    ini = backend / "alembic.ini"
    text = ini.read_text().replace("%(here)s/migrations", "migrations")
    ini.write_text(text.replace("prepend_sys_path = %(here)s", "prepend_sys_path = ."))
    return repo


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    return install_checker(tmp_path_factory.mktemp("skills"))


@pytest.fixture(scope="module")
def runs(installed, tmp_path_factory):
    base = tmp_path_factory.mktemp("projects")
    batch = Batch()

    def job(key: str, project: Path, *args: str, **kwargs):
        batch.submit(key, lambda: (project, check(installed, project, *args, **kwargs)))

    flask = copy_project(base / "flask", "flask_app")
    job("flask", flask, shown=str(flask / "migrations" / "alembic.ini"))
    multi = make_project(base / "multi", "multi_section")
    job("-n audit", multi, "-n", "audit", shown=f"{multi / 'alembic.ini'} [audit]")
    job("no -n", make_project(base / "no -n", "multi_section"))
    deploy = make_project(base / "deploy", "ini_in_subfolder")
    job("-c deploy", deploy, "-c", "deploy/alembic.ini", shown=str(deploy / "deploy/alembic.ini"))
    toml = make_project(base / "toml", "pyproject_only")
    (toml / "alembic.ini").unlink()
    job("pyproject", toml, shown=str(toml / "pyproject.toml"))
    repo = backend_folder(base / "backend")
    job("-c backend", repo, "-c", "backend/alembic.ini", shown=str(repo / "backend/alembic.ini"))
    job("create_all", make_project(base / "create_all", base="create_all_base"))
    spec = "app.base_schema:metadata"
    create_all = make_project(base / "base_metadata", base="create_all_base")
    job("--base-metadata", create_all, "--base-metadata", spec)
    settings = make_project(base / "settings", "settings_env")
    job("settings", settings)
    job("logging", make_project(base / "logging", "logging_config"))
    job(
        "writes log",
        make_project(base / "writes", "writes_log"),
        project_writes=("logs", "logs/app.log"),
    )
    sa14 = make_project(base / "sa14")
    # Made (once, into a user cache) inside the job: a failed install skips that test only.
    batch.submit(
        "sqlalchemy 1.4",
        lambda: (sa14, check(installed, sa14, python=str(legacy_venvs.legacy_python(LEGACY)))),
    )
    if _server_error("postgresql") is None:
        flask_pg = copy_project(base / "flask_pg", "flask_app")
        job(
            "flask pg",
            flask_pg,
            "--url",
            MAINTENANCE,
            "--app",
            "blog:create_app",
            env={"BLOG_DATABASE_URI": UNUSED},
            shown=str(flask_pg / "migrations" / "alembic.ini"),
        )
        create_all_pg = make_project(base / "create_all_pg", base="create_all_base")
        job("--base-metadata pg", create_all_pg, "--url", MAINTENANCE, "--base-metadata", spec)
    yield batch
    batch.close()


@pytest.mark.backends("sqlite")
def test_flask_migrate_project(db, runs):
    """No alembic.ini at the top, no script_location, env.py needs current_app: the app comes
    from app.py; its SQLite file (in an instance folder it would create) is never made."""
    project, (status, lines, stderr) = runs.result("flask")
    assert (status, stderr) == (0, "")
    assert re.fullmatch(
        r"NOTE  blog/__init__\.py:\d+: engine for sqlite:///\S+/instance/blog\.db redirected "
        "to the throwaway database",
        lines[0],
    )
    assert lines[1:] == [*passed("0001", "1 revision"), LINT_SKIPPED]
    assert not (project / "instance").exists()


@pytest.mark.backends("postgresql")
def test_flask_migrate_project_on_postgresql(db, runs):
    """Its env.py (Flask-Migrate's) sets no lock_timeout: the lint's one warning, exit 0."""
    _, result = runs.result("flask pg")
    env_py = FIXTURES / "flask_app" / "migrations" / "env.py"
    lines = [
        *passed("0001", "1 revision"),
        "NOTE  squawk lint: all 1 revision (not a git repository; --since REV narrows)",
        lock_warning(
            configure_line(env_py), "migrations/versions/0001_create_post_and_comment.py:25", 1
        ),
    ]
    factory = (FIXTURES / "flask_app" / "blog" / "__init__.py").read_text().splitlines()
    line = next(n for n, text in enumerate(factory, 1) if "db.init_app" in text)
    note = (
        f"NOTE  blog/__init__.py:{line}: engine for {make_url(UNUSED).render_as_string()} "
        "redirected to the throwaway database"
    )
    assert result == (0, [note, *lines], "")


@pytest.mark.backends("sqlite")
def test_ini_with_several_sections(db, runs):
    _, result = runs.result("-n audit")
    assert result == (0, [*passed("a001", "1 revision"), LINT_SKIPPED], "")
    _, result = runs.result("no -n")
    assert result == (
        2,
        [],
        "check_migrations: error: alembic.ini has no [alembic] section; choose one with -n: "
        "blog, audit\n",
    )


@pytest.mark.backends("sqlite")
def test_ini_in_another_folder_with_a_relative_script_location(db, runs):
    """Relative to the folder alembic runs in (deploy/), or to the ini's own (backend/)."""
    for key in ("-c deploy", "-c backend"):
        _, result = runs.result(key)
        assert result == (0, [*passed("0002", "2 revisions"), LINT_SKIPPED], "")


@pytest.mark.backends("sqlite")
def test_settings_in_pyproject_toml_only(db, runs):
    _, result = runs.result("pyproject")
    assert result == (0, [*passed("0002", "2 revisions"), LINT_SKIPPED], "")


@pytest.mark.backends("sqlite")
def test_history_whose_first_tables_came_from_create_all(db, runs):
    _, result = runs.result("create_all")
    assert result == (
        1,
        [
            "PASS  single head: 0002",
            "FAIL  upgrade base -> head: revision 0001 "
            "(migrations/versions/0001_add_author_slug.py) raised OperationalError: "
            "(sqlite3.OperationalError) no such table: author; if the tables it expects come "
            "from create_all(), pass --base-metadata module:MetaData",
            "SKIP  models match migrations: needs one head and a passing upgrade",
            "SKIP  downgrade head -> base: upgrade failed",
            "SKIP  upgrade base -> head again: upgrade failed",
            LINT_SKIPPED,
        ],
        "",
    )
    _, result = runs.result("--base-metadata")
    on_base = "2 revisions on the tables of app.base_schema:metadata"
    assert result == (0, [*passed("0002", on_base), LINT_SKIPPED], "")


@pytest.mark.backends("postgresql")
def test_base_metadata_on_postgresql(db, runs):
    _, result = runs.result("--base-metadata pg")
    on_base = "2 revisions on the tables of app.base_schema:metadata"
    lint = (
        "PASS  squawk lint: all 2 revisions (not a git repository; --since REV narrows), "
        "no unsafe operation"
    )
    assert result == (0, [*passed("0002", on_base), lint], "")


@pytest.mark.backends("sqlite")
def test_a_setting_the_project_needs_is_named(db, runs):
    _, result = runs.result("settings")
    assert result == (
        2,
        ["PASS  single head: 0002"],
        "check_migrations: error: app/settings.py raised KeyError: 'SECRET_KEY' (an environment "
        "variable it reads: set it where the checker runs)\n",
    )


@pytest.mark.backends("sqlite")
def test_an_import_error_under_another_error_is_named(db, runs):
    """logging.config wraps the missing module in its own ValueError: the line names both."""
    _, result = runs.result("logging")
    assert result[:2] == (2, ["PASS  single head: 0002"])
    assert result[2] == (
        "check_migrations: error: app/log_setup.py raised ValueError: Unable to configure "
        "handler 'pretty', because of ModuleNotFoundError: No module named 'not_installed_here'\n"
    )


@pytest.mark.backends("sqlite")
def test_a_file_the_project_writes_is_named(db, runs):
    """The app's own logging writes logs/app.log on import: the checker says so (and writes
    nothing itself: the harness checks every other file is unchanged)."""
    project, (status, lines, stderr) = runs.result("writes log")
    assert (status, stderr) == (0, "")
    assert lines[-1] == (
        "NOTE  the project's own code wrote logs/app.log while it was imported (the checker "
        "writes nothing there)"
    )
    assert (project / "logs" / "app.log").read_text() == "app imported\n"


@pytest.mark.backends("sqlite")
def test_sqlalchemy_before_2_0_is_named(db, runs):
    """A real SQLAlchemy 1.4 with the last Alembic that supports it, not a stand-in."""
    _, result = runs.result("sqlalchemy 1.4")
    python = legacy_venvs.legacy_python(LEGACY)
    assert result == (
        2,
        [],
        f"check_migrations: error: SQLAlchemy 1.4.54 found in {python}; the checker "
        "needs SQLAlchemy 2.0 or newer\n",
    )


def test_project_pytest_run_is_unchanged(installed, tmp_path):
    """With everything the checker needs installed in the project's environment (this one),
    the project's own suite, with a tests/conftest.py, still collects and passes."""
    project = make_project(tmp_path, "project_tests")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV"))}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=environ | {"PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^1 passed in ", done.stdout, re.MULTILINE), done.stdout
    status, lines, _ = check(installed, project)
    assert (status, lines[0]) == (0, "PASS  single head: 0002")
