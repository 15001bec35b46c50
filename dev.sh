#!/usr/bin/env bash
# jobharness developer commands; each one installs what it needs first.
#
#   ./dev.sh atests   the main job: the Robot acceptance suites against the embedded
#                     servers, in parallel (pabot); log and report in results/atests/
#   ./dev.sh check    every check: ruff, mypy, keyword docs, utests (pytest -n 2), atests
#   ./dev.sh bench    the side-by-side benchmarks (prints ratios)
#   ./dev.sh docs     keyword documentation into docs/keywords/
set -euo pipefail
cd "$(dirname "$0")"

VENV=$(realpath -m "${JOBHARNESS_VENV:-.venv}")
PY="$VENV/bin/python"
export PATH="$VENV/bin:$PATH"  # pabot starts robot by name
RESULTS=${JOBHARNESS_RESULTS:-results}

setup() {
    if [ ! -x "$PY" ]; then
        python3 -m venv "$VENV"
    fi
    "$PY" -m pip install --quiet --disable-pip-version-check -e '.[test]'
}

docs() {
    "$PY" docs/build_keyword_docs.py docs/keywords
}

utests() {
    "$PY" -m pytest utests -n 2 -p no:cacheprovider --junitxml "$RESULTS/utests.xml" "$@"
}

atests() {
    mkdir -p "$RESULTS/atests"
    "$VENV/bin/pabot" --processes 2 --outputdir "$RESULTS/atests" \
        --no-pabotlib --artifactsinsubfolders --loglevel DEBUG:INFO atests "$@"
}

lint() {
    "$VENV/bin/ruff" check .
    "$VENV/bin/ruff" format --check .
    "$VENV/bin/mypy"
}

bench() {
    for script in benchmarks/*/bench_*.py; do
        echo "== $script"
        "$PY" "$script"
    done
}

command=${1:-check}
shift || true
case "$command" in
    setup) setup ;;
    atests) setup; atests "$@" ;;
    utests) setup; utests "$@" ;;
    docs) setup; docs ;;
    lint) setup; lint ;;
    bench) setup; bench ;;
    check) setup; lint; docs; utests; atests ;;
    *) echo "usage: $0 {atests|check|utests|lint|docs|bench|setup}" >&2; exit 2 ;;
esac
