"""Run every example program in examples/ against one database, each on a fresh schema.

    python scripts/run_examples.py [DATABASE_URL]

With no URL each program gets its own throwaway SQLite file. With a PostgreSQL URL the
`public` schema of that database is dropped and recreated before each program, so point it
at a scratch database only. Exits non-zero if any program fails.
"""

from __future__ import annotations

import ast
import asyncio  # noqa: F401  (imported so a missing install fails here, not mid-run)
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent
ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def programs() -> list[tuple[Path, list[str], bool]]:
    found = []
    for path in sorted((ROOT / "examples").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if 'if __name__ == "__main__":' not in source:
            continue
        tree = ast.parse(source)
        doc = ast.get_docstring(tree) or ""
        backends = next(
            (
                [b.strip() for b in line.removeprefix("Backends:").split(",")]
                for line in doc.splitlines()
                if line.startswith("Backends:")
            ),
            [],
        )
        is_async = any(
            isinstance(node, ast.AsyncFunctionDef) and node.name == "main" for node in tree.body
        )
        found.append((path, backends, is_async))
    return found


def fresh_database(url: str | None, workdir: Path) -> str:
    if url is None:
        return f"sqlite:///{workdir / 'example.db'}"
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("drop schema if exists public cascade"))
            conn.execute(text("create schema public"))
        engine.dispose()
    return url


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        print("usage: run_examples.py [DATABASE_URL]", file=sys.stderr)
        return 2
    url = argv[0] if argv else None
    try:
        backend = make_url(url).get_backend_name() if url else "sqlite"
    except Exception:
        print(f"error: not a database URL: {url!r}", file=sys.stderr)
        return 2
    failures = 0
    # Examples import siblings by bare name, also across folders (blog_models from examples/core).
    example_path = os.pathsep.join(
        sorted({str(p.parent) for p in (ROOT / "examples").rglob("*.py")})
    )
    for path, backends, is_async in programs():
        name = path.relative_to(ROOT)
        if backend not in backends:
            print(f"skip  {name} (runs on {', '.join(backends) or 'no database'})")
            continue
        with tempfile.TemporaryDirectory() as workdir:
            db_url = fresh_database(url, Path(workdir))
            if is_async:
                db_url = (
                    make_url(db_url)
                    .set(drivername=ASYNC_DRIVERS[backend])
                    .render_as_string(hide_password=False)
                )
            result = subprocess.run(
                [sys.executable, str(path), db_url],
                capture_output=True,
                text=True,
                cwd=workdir,
                env={**os.environ, "PYTHONPATH": example_path},
            )
        status = "ok   " if result.returncode == 0 else "FAIL "
        print(f"{status} {name}")
        if result.returncode != 0:
            failures += 1
            print(result.stderr.strip()[-2000:], file=sys.stderr)
    print(f"{failures} failed" if failures else "all examples ran")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
