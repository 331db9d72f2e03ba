"""Render the shipped markdown from examples/ and write each self-contained skill folder.

Two steps, one command:

1. **Snippets.** A code block is written once, in markdown, as a pair of markers, each alone
   at the start of a line:

       <!-- snippet: examples/core/blog_models.py#models -->
       <!-- /snippet -->

   and this script puts the region between them, fenced, with the language taken from the file
   extension. A region is marked in the source file with ``# region: NAME`` and ``# endregion``
   lines (left out of the output); without ``#NAME`` the whole file is used. A Python block
   starts with the imports it needs, taken from the example file's own imports, so a page
   copied block by block is complete (``from __future__ import annotations`` heads the page's
   first Python block when a region relies on it). Sources rendered in place: README.md,
   references/, skills/*/SKILL.md.

2. **Skill folders.** Each ``skills/<name>/`` gets every file its SKILL.md links to, followed
   through the linked markdown: a link ``references/x.md`` in SKILL.md is the repository's
   ``references/x.md``, copied (rendered) to ``skills/<name>/references/x.md``; the same for
   ``assets/`` and ``scripts/``; plus LICENSE. Links must stay inside the skill folder, so one
   folder copied anywhere is whole. These copies are output: the script owns them and removes
   what no link needs any more.

    python scripts/render_docs.py          # rewrite what drifted (each file atomically)
    python scripts/render_docs.py --check  # exit 1 and name the files that would change
"""

from __future__ import annotations

import argparse
import ast
import os
import posixpath
import re
import sys
import tempfile
import textwrap
from pathlib import Path

from pyflakes import checker as pyflakes_checker
from pyflakes import messages as pyflakes_messages

ROOT = Path(__file__).resolve().parent.parent
SOURCE_GLOBS = ("README.md", "skills/*/SKILL.md", "references/**/*.md")
LANGUAGES = {".py": "python", ".ini": "ini", ".sh": "bash", ".mako": "mako", ".toml": "toml"}
# What the render writes into a skill folder; everything else there is a hand-written source.
GENERATED = ("references", "assets", "scripts", "LICENSE")
FUTURE = "from __future__ import annotations"

SNIPPET = re.compile(
    r"^(?P<open><!-- snippet: (?P<path>[^#\s]+)(?:#(?P<region>[\w-]+))? -->\n)"
    r"(?P<body>.*?)"
    r"^(?P<close><!-- /snippet -->)$",
    re.DOTALL | re.MULTILINE,
)
REGION_START = re.compile(r"^\s*# region: ([\w-]+)\s*$")
REGION_END = re.compile(r"^\s*# endregion\b.*$")
FENCE = re.compile(r"^[ \t]*(```|~~~).*?^[ \t]*(```|~~~)[ \t]*$", re.DOTALL | re.MULTILINE)
LINK = re.compile(r"\]\(([^)\s]+)\)")


class RenderError(Exception):
    """A marker or a link names something that does not exist or leaves its skill folder."""


def source_markdown(root: Path = ROOT) -> list[Path]:
    """Markdown rendered in place (the sources of everything shipped)."""
    files: set[Path] = set()
    for pattern in SOURCE_GLOBS:
        files.update(root.glob(pattern))
    return sorted(files)


def shipped_markdown(root: Path = ROOT) -> list[Path]:
    """Every markdown file a user or an agent reads: the sources plus the skill folders."""
    return sorted(set(source_markdown(root)) | set(root.glob("skills/*/**/*.md")))


# ---- snippets ------------------------------------------------------------------------------


def extract(source: Path, region: str | None) -> str:
    lines = source.read_text(encoding="utf-8").splitlines()
    if region is None:
        picked = lines
    else:
        starts = [i for i, line in enumerate(lines) if _region_name(line) == region]
        if len(starts) != 1:
            raise RenderError(f"{_rel(source)}: region {region!r} found {len(starts)}x")
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
            raise RenderError(f"{_rel(source)}: region {region!r} is never closed")
    kept = [line for line in picked if not (REGION_START.match(line) or REGION_END.match(line))]
    return textwrap.dedent("\n".join(kept)).strip("\n") + "\n"


def _region_name(line: str) -> str | None:
    match = REGION_START.match(line)
    return match.group(1) if match else None


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def language_of(source: Path) -> str:
    return LANGUAGES.get(Path(source.name.removesuffix(".j2")).suffix, "")


def example_modules(root: Path = ROOT) -> set[str]:
    """Module names of the example programs: imports of these are never shown to a reader."""
    return {p.stem for p in (root / "examples").rglob("*.py")}


def module_imports(source: Path, local: set[str]) -> tuple[dict[str, str], bool]:
    """Names bound by the file's top-level imports -> the import line that binds each alone
    (in the file's order), and whether the file has ``from __future__ import annotations``."""
    bound: dict[str, str] = {}
    future = False
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "__future__":
                future = future or any(a.name == "annotations" for a in node.names)
            elif node.module.split(".")[0] not in local:
                for alias in node.names:
                    name = f"{alias.name} as {alias.asname}" if alias.asname else alias.name
                    bound[alias.asname or alias.name] = f"from {node.module} import {name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in local:
                    continue
                key = alias.asname or alias.name.split(".")[0]
                line = f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
                bound[key] = line
    return bound, future


def has_annotations(code: str) -> bool:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign) or (isinstance(node, ast.arg) and node.annotation):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns:
            return True
    return False


def undefined_names(code: str, from_line: int = 1) -> list[str]:
    """Names pyflakes reports undefined in ``code`` at or after line ``from_line``."""
    tree = ast.parse(code)
    found = pyflakes_checker.Checker(tree, filename="<page>").messages
    names = [
        m.message_args[0]
        for m in sorted(found, key=lambda m: m.lineno)
        if isinstance(m, pyflakes_messages.UndefinedName) and m.lineno >= from_line
    ]
    return list(dict.fromkeys(names))


def merge_imports(lines: list[str]) -> list[str]:
    """``from m import a`` + ``from m import b`` -> ``from m import a, b``, in first-seen order."""
    merged: dict[str, list[str]] = {}
    for line in lines:
        if line.startswith("from "):
            module, name = line[5:].split(" import ", 1)
            merged.setdefault(f"from {module} import ", []).append(name)
        else:
            merged.setdefault(line, [])
    return [head + ", ".join(names) for head, names in merged.items()]


def render_text(markdown: str, root: Path = ROOT) -> str:
    """Fill every snippet of one page; Python blocks get the imports the page lacks so far."""
    local = example_modules(root)
    matches = list(SNIPPET.finditer(markdown))
    blocks: list[tuple[re.Match[str], Path, str]] = []
    for match in matches:
        source = root / match["path"]
        if not source.is_file():
            raise RenderError(f"snippet source {match['path']} does not exist")
        blocks.append((match, source, extract(source, match["region"])))

    python = [(m, s, c) for m, s, c in blocks if language_of(s) == "python" and s.suffix == ".py"]
    imports_of = {s: module_imports(s, local) for _, s, _ in python}
    page_needs_future = any(imports_of[s][1] and has_annotations(c) for _, s, c in python)

    filled: dict[int, str] = {}
    page_code = FUTURE + "\n" if page_needs_future else ""
    first = True
    for match, source, code in python:
        bound = imports_of[source][0]
        try:
            start = page_code.count("\n") + 1
            missing = undefined_names(page_code + code, from_line=start)
        except SyntaxError:
            missing = []
        order = list(bound)
        needed = sorted((name for name in missing if name in bound), key=order.index)
        header = merge_imports([bound[name] for name in needed])
        lead = FUTURE + "\n\n" if first and page_needs_future and FUTURE not in code else ""
        first = False
        text = lead + "\n".join(header) + ("\n\n" if header else "") + code
        filled[match.start()] = text
        page_code += "".join(line + "\n" for line in header) + code

    def fill(match: re.Match[str]) -> str:
        source = root / match["path"]
        code = filled.get(match.start()) or extract(source, match["region"])
        return f"{match['open']}```{language_of(source)}\n{code}```\n{match['close']}"

    return SNIPPET.sub(fill, markdown)


# ---- skill folders ---------------------------------------------------------------------------


def relative_links(markdown: str) -> list[str]:
    """File parts of the relative link targets outside fenced code."""
    targets = []
    for target in LINK.findall(FENCE.sub("", markdown)):
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", target) or target.startswith(("#", "/")):
            continue
        file_part = target.split("#")[0]
        if file_part:
            targets.append(file_part)
    return targets


def _source_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(
        p
        for p in path.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )


def skill_bundle(skill_dir: Path, rendered: dict[Path, str], root: Path = ROOT) -> dict[str, bytes]:
    """Relative path inside the skill folder -> content, for every generated file."""
    bundle: dict[str, bytes] = {}
    if (root / "LICENSE").is_file():
        bundle["LICENSE"] = (root / "LICENSE").read_bytes()
    queue: list[tuple[str, str]] = [("SKILL.md", rendered[skill_dir / "SKILL.md"])]
    seen = {"SKILL.md"}
    while queue:
        page, text = queue.pop()
        for target in relative_links(text):
            inside = posixpath.normpath(posixpath.join(posixpath.dirname(page), target))
            where = f"{_rel(skill_dir)}/{page} -> {target}"
            if inside.startswith("../") or inside == "..":
                raise RenderError(f"{where}: leaves the skill folder")
            top = inside.split("/")[0]
            if top == "evals" or inside == "SKILL.md":
                continue  # hand-written files of the skill folder itself
            if top not in GENERATED:
                raise RenderError(f"{where}: only {', '.join(GENERATED)} are bundled")
            source = root / inside
            if not source.exists():
                raise RenderError(f"{where}: {inside} does not exist in the repository")
            for file in _source_files(source):
                rel = file.relative_to(root).as_posix()
                if rel in seen:
                    continue
                seen.add(rel)
                if file.suffix == ".md":
                    text_of = rendered.get(file) or render_text(file.read_text(encoding="utf-8"))
                    bundle[rel] = text_of.encode("utf-8")
                    queue.append((rel, text_of))
                else:
                    bundle[rel] = file.read_bytes()
    return bundle


def generated_files(skill_dir: Path) -> set[str]:
    """What the render owns in a skill folder now (to compare and to prune)."""
    found: set[str] = set()
    for top in GENERATED:
        for file in _source_files(skill_dir / top) if (skill_dir / top).exists() else []:
            found.add(file.relative_to(skill_dir).as_posix())
    return found


def write_atomically(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def plan(root: Path = ROOT) -> tuple[dict[Path, bytes], list[Path]]:
    """Every file the render writes (path -> content) and every stale file it removes."""
    rendered = {p: render_text(p.read_text(encoding="utf-8"), root) for p in source_markdown(root)}
    wanted: dict[Path, bytes] = {p: text.encode("utf-8") for p, text in rendered.items()}
    stale: list[Path] = []
    for skill_dir in sorted(p.parent for p in root.glob("skills/*/SKILL.md")):
        bundle = skill_bundle(skill_dir, rendered, root)
        for rel, content in bundle.items():
            wanted[skill_dir / rel] = content
        stale += [skill_dir / rel for rel in sorted(generated_files(skill_dir) - set(bundle))]
    return wanted, stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report drift, change nothing")
    args = parser.parse_args(argv)
    try:
        wanted, stale = plan()
    except (RenderError, SyntaxError) as exc:
        print(f"render_docs: {exc}", file=sys.stderr)
        return 2
    drifted = [p for p, content in wanted.items() if not p.exists() or p.read_bytes() != content]
    verb = "out of date" if args.check else "rewritten"
    for path in drifted:
        if not args.check:
            write_atomically(path, wanted[path])
        print(f"{verb}: {_rel(path)}")
    for path in stale:
        if not args.check:
            path.unlink()
            for parent in path.parents:
                if parent == ROOT or any(parent.iterdir()):
                    break
                parent.rmdir()
        print(f"{'stale' if args.check else 'removed'}: {_rel(path)}")
    if args.check and (drifted or stale):
        print("render_docs: run `python scripts/render_docs.py` and commit", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
