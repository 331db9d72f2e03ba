"""Set up Alembic in a project from the tested templates in assets/alembic/.

    python scripts/render_alembic.py PROJECT_DIR --metadata myapp.models:Base.metadata [--async]

writes PROJECT_DIR/alembic.ini and PROJECT_DIR/migrations/{env.py, script.py.mako, versions/}.
Everything is rendered into a temporary folder first and then moved into place, so a failure
leaves nothing half-written. An existing setup is kept unless --force is given; --force
replaces the generated files but never touches the revisions in versions/.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

import jinja2

ASSETS = Path(__file__).resolve().parent.parent / "assets" / "alembic"
METADATA_SPEC = re.compile(
    r"^(?P<module>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*):(?P<attr>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)$"
)
REGION_LINE = re.compile(r"^[ \t]*# (region: [\w-]+|endregion)[ \t]*\n", re.MULTILINE)


class SetupError(Exception):
    """Input the script refuses; the message is printed as one line."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project_dir", type=Path, help="folder that gets alembic.ini")
    parser.add_argument(
        "--metadata", required=True, help="where your MetaData lives: package.module:Base.metadata"
    )
    parser.add_argument("--async", dest="use_async", action="store_true", help="async driver env")
    parser.add_argument("--script-location", default="migrations", help="folder for env.py")
    parser.add_argument("--url-env", default="DATABASE_URL", help="env variable with the URL")
    parser.add_argument("--url", default="", help="sqlalchemy.url written to alembic.ini")
    parser.add_argument("--force", action="store_true", help="replace an existing setup")
    parser.error = usage_error  # one line on stderr, like every other error here
    return parser.parse_args(argv)


def usage_error(message: str) -> None:
    print(f"render_alembic: {message} (see --help)", file=sys.stderr)
    sys.exit(2)


def template_values(args: argparse.Namespace) -> dict[str, str]:
    match = METADATA_SPEC.match(args.metadata)
    if match is None:
        raise SetupError(f"--metadata {args.metadata!r} is not of the form module:Name.metadata")
    if not re.fullmatch(r"[A-Za-z_]\w*", args.script_location):
        raise SetupError(f"--script-location {args.script_location!r} must be a plain folder name")
    if not re.fullmatch(r"[A-Za-z_]\w*", args.url_env):
        raise SetupError(f"--url-env {args.url_env!r} is not an environment variable name")
    if "\n" in args.url:
        raise SetupError("--url must be one line")
    return {
        "metadata_module": match["module"],
        "metadata_import": match["attr"].split(".")[0],
        "metadata_expr": match["attr"],
        "script_location": args.script_location,
        "url_env": args.url_env,
        "url": args.url.replace("%", "%%"),  # configparser reads %% as one %
    }


def render(name: str, values: dict[str, str]) -> str:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(ASSETS),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    text = environment.get_template(name).render(values)
    return REGION_LINE.sub("", text)  # the doc markers stay in the templates only


def write_setup(args: argparse.Namespace) -> list[Path]:
    values = template_values(args)
    project = args.project_dir
    if project.exists() and not project.is_dir():
        raise SetupError(f"{project} is not a folder")
    if not project.parent.is_dir():
        raise SetupError(f"{project.parent} does not exist")
    ini, scripts = project / "alembic.ini", project / args.script_location
    existing = [p for p in (ini, scripts / "env.py") if p.exists()]
    if existing and not args.force:
        raise SetupError(f"{existing[0]} exists; pass --force to replace the generated files")
    project.mkdir(exist_ok=True)

    env_template = "env_async.py.j2" if args.use_async else "env.py.j2"
    with tempfile.TemporaryDirectory(dir=project, prefix=".alembic-setup-") as tmp:
        staged = Path(tmp)
        (staged / "scripts" / "versions").mkdir(parents=True)
        (staged / "alembic.ini").write_text(render("alembic.ini.j2", values), encoding="utf-8")
        env_py = render(env_template, values)
        compile(env_py, "env.py", "exec")  # a bad template fails here, before anything moves
        (staged / "scripts" / "env.py").write_text(env_py, encoding="utf-8")
        mako = REGION_LINE.sub("", (ASSETS / "script.py.mako").read_text(encoding="utf-8"))
        (staged / "scripts" / "script.py.mako").write_text(mako, encoding="utf-8")

        if not scripts.exists():
            os.replace(staged / "scripts", scripts)
        else:  # --force, or a folder without env.py: keep versions/ and anything else there
            (scripts / "versions").mkdir(exist_ok=True)
            for name in ("env.py", "script.py.mako"):
                os.replace(staged / "scripts" / name, scripts / name)
        os.replace(staged / "alembic.ini", ini)
    return [ini, scripts / "env.py", scripts / "script.py.mako", scripts / "versions"]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        written = write_setup(args)
    except (SetupError, OSError, SyntaxError, jinja2.TemplateError) as exc:
        print(f"render_alembic: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
