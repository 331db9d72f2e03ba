#!/usr/bin/env bash
# Create (or refresh) the project's virtualenv. Sourced by examples.sh and test.sh.
# SQLALCHEMY_SERIES=2.0 selects .venv-sa20, where SQLAlchemy is held to the newest 2.0.x;
# the default (2.1) is .venv with the newest release pyproject.toml allows.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
case "${SQLALCHEMY_SERIES:-2.1}" in
    2.1) VENV="$ROOT/.venv"; CONSTRAINT="" ;;
    2.0) VENV="$ROOT/.venv-sa20"; CONSTRAINT="sqlalchemy>=2.0.58,<2.1" ;;
    *) echo "error: SQLALCHEMY_SERIES must be 2.0 or 2.1, not '$SQLALCHEMY_SERIES'" >&2; exit 1 ;;
esac
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV" || { echo "error: could not create $VENV with $PYTHON" >&2; exit 1; }
fi
# Reinstall only when pyproject.toml (or the constraint) changed since the last install.
STAMP="$VENV/.pyproject.sha256"
WANT="$( (cat "$ROOT/pyproject.toml"; echo "$CONSTRAINT") | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$WANT" ]; then
    CONSTRAINTS_FILE="$(mktemp)"
    echo "$CONSTRAINT" > "$CONSTRAINTS_FILE"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        -c "$CONSTRAINTS_FILE" -e "${ROOT}[test]"
    # No longer a dependency: its pytest plugin breaks pytest 9 collection (tests/conftest.py).
    "$VENV/bin/python" -m pip uninstall --quiet --disable-pip-version-check -y pytest-alembic \
        >/dev/null 2>&1 || true
    rm -f "$CONSTRAINTS_FILE"
    echo "$WANT" > "$STAMP"
fi
