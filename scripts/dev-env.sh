#!/usr/bin/env bash
# Create (or refresh) the project's virtualenv in .venv. Sourced by examples.sh and test.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PYTHON="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV" || { echo "error: could not create $VENV with $PYTHON" >&2; exit 1; }
fi
# Reinstall only when pyproject.toml changed since the last install.
STAMP="$VENV/.pyproject.sha256"
WANT="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$WANT" ]; then
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT[test]"
    echo "$WANT" > "$STAMP"
fi
