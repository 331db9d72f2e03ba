#!/usr/bin/env bash
# Set up .venv and run the whole test suite (pytest arguments pass through).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/dev-env.sh"
cd "$ROOT"
exec "$VENV/bin/python" -m pytest "$@"
