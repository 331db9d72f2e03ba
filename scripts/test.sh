#!/usr/bin/env bash
# Run the test suite on SQLAlchemy 2.1 and 2.0; pytest arguments pass through.
#
#   scripts/test.sh                  whole suite on the newest 2.1.x (.venv), then every test that
#                                    touches SQLAlchemy on the newest 2.0.x (.venv-sa20), then one
#                                    line of counts per series; 2 pytest-xdist workers
#   scripts/test.sh tests/test_x.py  those tests on 2.1 only
#   SQLALCHEMY_SERIES=2.0 scripts/test.sh [args]   one series only (2.0 or 2.1)
#
# TEST_WORKERS=N sets the number of xdist workers of a whole-suite run (0: none).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# 2.1 leg only: tests that never import SQLAlchemy (installers, validators, skill text, lint),
# the eval graders, maintainer tools that grade an agent's code rather than the examples, and
# the tools' packaging (pip, pre-commit, CI workflow; the tools' own tests run on both series).
NOT_SQLALCHEMY=(test_install.py test_install_npx.py test_install_plugin.py test_validators.py
    test_triggers.py test_plugin_manifest.py test_docs.py test_lint.py test_graders.py
    test_eval_runner.py test_tool_commands.py)

setup() {  # series: create or refresh that series' virtualenv, quietly
    (SQLALCHEMY_SERIES="$1" && source "$ROOT/scripts/dev-env.sh")
}

leg() {  # series pytest-args...: run pytest in that series' virtualenv
    local series="$1"
    shift
    (SQLALCHEMY_SERIES="$series" && source "$ROOT/scripts/dev-env.sh" \
        && exec "$VENV/bin/python" -m pytest "$@")
}

if [ -n "${SQLALCHEMY_SERIES:-}" ] || [ "$#" -gt 0 ]; then
    series="${SQLALCHEMY_SERIES:-2.1}"
    setup "$series"
    leg "$series" "$@"
    exit $?
fi

# Whole suite, both series. .venv-sa20 is set up while the 2.1 leg runs (one at a time: both
# installs write the project's egg-info).
setup 2.1
setup_log="$(mktemp)"
setup 2.0 >"$setup_log" 2>&1 &
setup_20=$!

workers=()
# loadfile: a module's tests share one worker, so module-scoped fixtures run once.
[ "${TEST_WORKERS:-2}" != 0 ] && workers=(-n "${TEST_WORKERS:-2}" --dist loadfile)
SQLALCHEMY_LEG_SUMMARY="$(mktemp)"
export SQLALCHEMY_LEG_SUMMARY
trap 'rm -f "$SQLALCHEMY_LEG_SUMMARY" "$setup_log"' EXIT
ignore=()
for name in "${NOT_SQLALCHEMY[@]}"; do ignore+=("--ignore=tests/$name"); done

status=0
echo "=== SQLAlchemy 2.1: the whole suite ==="
leg 2.1 "${workers[@]}" || status=$?
if ! wait "$setup_20"; then
    cat "$setup_log" >&2
    echo "error: could not set up .venv-sa20 (SQLAlchemy 2.0)" >&2
    exit 1
fi
echo "=== SQLAlchemy 2.0: the tests that touch SQLAlchemy ==="
leg 2.0 "${workers[@]}" "${ignore[@]}" || status=$?

echo "=== tests per SQLAlchemy series ==="
cat "$SQLALCHEMY_LEG_SUMMARY"
# Both legs added up, as the one closing line: "all: N passed, N failed, N skipped".
awk -F': ' '{
    n = split($2, parts, ", ")
    for (i = 1; i <= n; i++) { split(parts[i], kv, " "); total[kv[2]] += kv[1] }
} END {
    printf "all: %d passed, %d failed, %d skipped\n",
        total["passed"], total["failed"] + total["error"], total["skipped"]
}' "$SQLALCHEMY_LEG_SUMMARY"
exit "$status"
