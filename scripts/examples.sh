#!/usr/bin/env bash
# Set up .venv and run every example program against one database.
#   scripts/examples.sh                     # a throwaway SQLite file (the default)
#   scripts/examples.sh postgresql+psycopg://postgres@127.0.0.1:5432/test
# Async examples get the async driver of the same database (aiosqlite, asyncpg).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/dev-env.sh"
cd "$ROOT"
exec "$VENV/bin/python" scripts/run_examples.py "$@"
