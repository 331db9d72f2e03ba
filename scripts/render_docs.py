"""Fill the code blocks of shipped markdown from regions of files under examples/ (or assets/).

A block is written once, in markdown, as a pair of markers, each alone at the start of a line:

    <!-- snippet: examples/core/blog_models.py#models -->
    <!-- /snippet -->

and this script puts the region between them, fenced, with the language taken from the file
extension. A region is marked in the source file with ``# region: NAME`` and ``# endregion``
lines (which are left out of the output); without ``#NAME`` the whole file is used.

    python scripts/render_docs.py          # rewrite drifted files in place (atomically)
    python scripts/render_docs.py --check  # exit 1 and name the files that would change
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_GLOBS = ("README.md", "skills/**/*.md", "references/**/*.md")
LANGUAGES = {".py": "python", ".ini": "ini", ".sh": "bash", ".mako": "mako", ".toml": "toml"}

SNIPPET = re.compile(
    r"^(?P<open><!-- snippet: (?P<path>[^#\s]+)(?:#(?P<region>[\w-]+))? -->\n)"
    r"(?P<body>.*?)"
    r"^(?P<close><!-- /snippet -->)$",
    re.DOTALL | re.MULTILINE,
)
REGION_START = re.compile(r"^\s*# region: ([\w-]+)\s*$")
REGION_END = re.compile(r"^\s*# endregion\b.*$")


class RenderError(Exception):
    """A marker names a file or region that does not exist."""


def shipped_markdown(root: Path = ROOT) -> list[Path]:
    files: set[Path] = set()
    for pattern in SHIPPED_GLOBS:
        files.update(root.glob(pattern))
    return sorted(files)


def extract(source: Path, region: str | None) -> str:
    lines = source.read_text(encoding="utf-8").splitlines()
    if region is None:
        picked = lines
    else:
        starts = [i for i, line in enumerate(lines) if _region_name(line) == region]
        if len(starts) != 1:
            raise RenderError(f"{source.relative_to(ROOT)}: region {region!r} found {len(starts)}x")
        picked, depth = [], 0
        for line in lines[starts[0] + 1 :]:
            if REGION_START.match(line):
                depth += 1
            elif REGION_END.match(line):
                if depth == 0:
                    break
                depth -= 1
            picked.append(line)
        else:
            raise RenderError(f"{source.relative_to(ROOT)}: region {region!r} is never closed")
    kept = [line for line in picked if not (REGION_START.match(line) or REGION_END.match(line))]
    return textwrap.dedent("\n".join(kept)).strip("\n") + "\n"


def _region_name(line: str) -> str | None:
    match = REGION_START.match(line)
    return match.group(1) if match else None


def render_text(markdown: str, root: Path = ROOT) -> str:
    def fill(match: re.Match) -> str:
        source = root / match["path"]
        if not source.is_file():
            raise RenderError(f"snippet source {match['path']} does not exist")
        suffix = Path(source.name.removesuffix(".j2")).suffix  # env.py.j2 -> .py
        language = LANGUAGES.get(suffix, "")
        code = extract(source, match["region"])
        return f"{match['open']}```{language}\n{code}```\n{match['close']}"

    return SNIPPET.sub(fill, markdown)


def write_atomically(path: Path, content: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report drift, change nothing")
    args = parser.parse_args(argv)
    drifted = []
    try:
        rendered = {p: render_text(p.read_text(encoding="utf-8")) for p in shipped_markdown()}
    except RenderError as exc:
        print(f"render_docs: {exc}", file=sys.stderr)
        return 2
    for path, content in rendered.items():
        if content != path.read_text(encoding="utf-8"):
            drifted.append(path)
            if not args.check:
                write_atomically(path, content)
    verb = "out of date" if args.check else "rewritten"
    for path in drifted:
        print(f"{verb}: {path.relative_to(ROOT)}")
    if args.check and drifted:
        print("render_docs: run `python scripts/render_docs.py` and commit", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
