"""scripts/render_alembic.py: renders the assets/alembic templates, refuses bad input."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "skills" / "alembic-migrations" / "scripts" / "render_alembic.py"


def render(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True)


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
def test_renders_a_complete_setup(tmp_path, use_async):
    project = tmp_path / "proj"
    flags = ["--async"] if use_async else []
    result = render(str(project), "--metadata", "shop.models:Base.metadata", *flags)
    assert result.returncode == 0, result.stderr
    env_py = (project / "migrations" / "env.py").read_text()
    assert "from shop.models import Base\n" in env_py
    assert "target_metadata = Base.metadata\n" in env_py
    assert ("asyncio.run(" in env_py) is use_async
    assert "# region" not in env_py and "# endregion" not in env_py
    compile(env_py, "env.py", "exec")
    assert (project / "migrations" / "versions").is_dir()
    assert (project / "migrations" / "script.py.mako").is_file()
    ini = (project / "alembic.ini").read_text()
    assert "script_location = %(here)s/migrations\n" in ini
    assert [p.name for p in project.iterdir() if p.name.startswith(".")] == []  # no temp left


def test_url_percent_signs_are_escaped_for_configparser(tmp_path):
    from alembic.config import Config

    url = "postgresql+psycopg://app:p%40ss@db/app"
    assert render(str(tmp_path / "p"), "--metadata", "m:md", "--url", url).returncode == 0
    assert Config(tmp_path / "p" / "alembic.ini").get_main_option("sqlalchemy.url") == url


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--metadata", "models.Base.metadata"], "not of the form module:Name.metadata"),
        (["--metadata", "m:md", "--script-location", "../up"], "plain folder name"),
        (["--metadata", "m:md", "--url-env", "DATABASE-URL"], "not an environment variable"),
        ([], "required: --metadata"),
    ],
)
def test_bad_input_is_one_line_on_stderr(tmp_path, args, message):
    result = render(str(tmp_path / "proj"), *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "proj").exists()


def test_missing_parent_folder_is_an_error(tmp_path):
    result = render(str(tmp_path / "no" / "proj"), "--metadata", "m:md")
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_existing_setup_is_kept_without_force(tmp_path):
    project = tmp_path / "proj"
    assert render(str(project), "--metadata", "old:Base.metadata").returncode == 0
    revision = project / "migrations" / "versions" / "0001_first.py"
    revision.write_text("revision = '0001'\n")

    refused = render(str(project), "--metadata", "new:Base.metadata")
    assert refused.returncode == 2 and "pass --force" in refused.stderr
    assert "from old import Base" in (project / "migrations" / "env.py").read_text()

    forced = render(str(project), "--metadata", "new:Base.metadata", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "from new import Base" in (project / "migrations" / "env.py").read_text()
    assert revision.read_text() == "revision = '0001'\n"  # revisions are never touched
