#!/usr/bin/env bash
# jobharness developer commands; each one installs what it needs first.
#
#   ./dev.sh atests   the main job: the Robot acceptance suites against the embedded
#                     servers, in parallel (pabot); log and report in results/atests/
#   ./dev.sh check    every check: ruff, mypy, keyword docs, utests (pytest -n 2), atests,
#                     examples
#   ./dev.sh bench    the side-by-side benchmarks (prints ratios)
#   ./dev.sh examples the runnable examples of every backend (examples/), Robot and pytest
#   ./dev.sh docs     keyword documentation into docs/keywords/
#   ./dev.sh reliability [--bounded]
#                     the reliability suites (utests/reliability: faults, interrupted
#                     runs, fuzzing, secret scans) and their figures; --bounded is CI's
#                     few-minute run, the default the long one
#   ./dev.sh flaky [N] the load check: utests (pytest -n 4) and atests (pabot
#                     --processes 4) N times in a row (default 5), stopping at the
#                     first failing round; logs in results/flaky/
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
    debian_packages
}

# Debian packages whose daemons the tests start privately (never as system services),
# and the browser the report tests render pages with (headless, no daemon).
DEBIAN_PACKAGES=(openssh-server mariadb-server chromium)
POLICY_RC=/usr/sbin/policy-rc.d

# Install the missing DEBIAN_PACKAGES (as root with apt-get only; otherwise a note).
# A temporary policy-rc.d (when none exists) keeps the packages from starting their
# services; afterwards no process may run a program the install brought.
debian_packages() {
    local package missing=()
    for package in "${DEBIAN_PACKAGES[@]}"; do
        if [ "$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null)" != installed ]; then
            missing+=("$package")
        fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        echo "dev.sh: note: ${missing[*]} not installed (needs root and apt-get);" \
            "the tests that start sshd, mariadbd or chromium will be skipped" >&2
        return 0
    fi
    echo "dev.sh: installing ${missing[*]}" >&2
    if ! (_install_without_services "${missing[@]}"); then
        echo "dev.sh: warning: installing ${missing[*]} failed;" \
            "the tests that start sshd, mariadbd or chromium will be skipped" >&2
    fi
}

_install_without_services() {
    local before installed programs pid exe left=()
    if [ ! -e "$POLICY_RC" ]; then
        trap 'rm -f "$POLICY_RC"' EXIT
        printf '#!/bin/sh\n# dev.sh: no service starts while packages are installed\nexit 101\n' \
            >"$POLICY_RC" && chmod 755 "$POLICY_RC" || return 1
    fi
    before=" $(_pids | tr '\n' ' ') "
    installed=$(dpkg-query -W -f='${Package}\n' | sort)
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || return 1
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null || return 1
    # every file of every package the install added; a process started since then that
    # runs one of them (whatever it calls itself) was started by the install
    programs=$(comm -13 <(echo "$installed") <(dpkg-query -W -f='${Package}\n' | sort) |
        xargs -r dpkg-query -L | sort -u)
    for pid in $(_pids); do
        [[ "$before" == *" $pid "* ]] && continue
        exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
        if grep -qxF -- "$exe" <<<"$programs"; then
            echo "dev.sh: the install left $exe running (PID $pid); stopping it" >&2
            kill -TERM "$pid" 2>/dev/null && left+=("$pid")
        fi
    done
    if [ ${#left[@]} -gt 0 ]; then
        sleep 5
        kill -KILL "${left[@]}" 2>/dev/null || true
    fi
}

_pids() {
    local entry
    for entry in /proc/[0-9]*; do echo "${entry#/proc/}"; done
}

docs() {
    "$PY" -m robotlib.keyword_docs --check --output docs/keywords
}

utests() {
    "$PY" -m pytest utests -n 2 -p no:cacheprovider --ignore=utests/reliability \
        --junitxml "$RESULTS/utests.xml" "$@"
}

reliability() {
    local level=full figures
    if [ "${1:-}" = "--bounded" ]; then level=bounded; shift; fi
    figures="$RESULTS/reliability/figures"
    rm -rf "$figures" && mkdir -p "$figures"
    JOBHARNESS_RELIABILITY=$level JOBHARNESS_FIGURES=$(realpath "$figures") \
        "$PY" -m pytest utests/reliability -n 2 -p no:cacheprovider \
        --junitxml "$RESULTS/reliability/reliability.xml" "$@" || status=$?
    echo "== reliability figures ($level)"
    "$PY" utests/reliability/figures.py "$figures" | tee "$RESULTS/reliability/figures-$level.txt"
    return "${status:-0}"
}

atests() {
    mkdir -p "$RESULTS/atests"
    "$VENV/bin/pabot" --processes 2 --outputdir "$RESULTS/atests" \
        --no-pabotlib --artifactsinsubfolders --loglevel DEBUG:INFO atests "$@"
}

# the runnable examples of every backend (examples/<backend>/), as a user would run them
EXAMPLES=(examples/sandbox examples/saltant examples/harp examples/densefog examples/terminal)

examples() {
    mkdir -p "$RESULTS/examples"
    "$PY" -m pytest "${EXAMPLES[@]}" -n 2 -p no:cacheprovider \
        --junitxml "$RESULTS/examples/pytest.xml"
    "$VENV/bin/pabot" --processes 2 --outputdir "$RESULTS/examples" --no-pabotlib \
        --artifactsinsubfolders "${EXAMPLES[@]}"
}

# the example third-party backend: pip-installed into the venv as a user installs a plugin,
# then its own Robot suite and pytest tests, run from its directory
EXAMPLE_BACKEND=examples/jobharness-example-backend

example_backend() {
    local out
    out=$(realpath -m "$RESULTS/example-backend")
    mkdir -p "$out"
    "$PY" -m pip install --quiet --disable-pip-version-check --no-deps "./$EXAMPLE_BACKEND"
    (cd "$EXAMPLE_BACKEND" &&
        "$PY" -m pytest tests -p no:cacheprovider --junitxml "$out/pytest.xml" &&
        "$PY" -m robot --outputdir "$out" --variable "PYTHON:$PY" atests)
}

# utests and atests under more workers than cores, again and again: a test that load can
# break shows up here (docs/contributing.md, "Tests that hold under load")
flaky() {
    local rounds=${1:-5} round out
    out=$(realpath -m "$RESULTS/flaky")
    rm -rf "$out" && mkdir -p "$out"
    for round in $(seq 1 "$rounds"); do
        echo "== round $round of $rounds"
        if ! "$PY" -m pytest utests -n 4 -p no:cacheprovider --ignore=utests/reliability -q \
                --junitxml "$out/utests-$round.xml" >"$out/utests-$round.log" 2>&1; then
            tail -n 30 "$out/utests-$round.log"
            echo "== utests failed in round $round (log: $out/utests-$round.log)" >&2
            return 1
        fi
        if ! "$VENV/bin/pabot" --processes 4 --no-pabotlib --outputdir "$out/atests-$round" \
                atests >"$out/atests-$round.log" 2>&1; then
            tail -n 30 "$out/atests-$round.log"
            echo "== atests failed in round $round (report: $out/atests-$round/)" >&2
            return 1
        fi
        tail -n 1 "$out/utests-$round.log"
    done
    echo "== $rounds rounds in a row passed"
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
    reliability) setup; reliability "$@" ;;
    examples) setup; examples ;;
    flaky) setup; flaky "$@" ;;
    check) setup; lint; docs; utests; atests; examples; example_backend ;;
    *) echo "usage: $0 {atests|check|utests|lint|docs|bench|reliability|flaky|examples|setup}" >&2
       exit 2 ;;
esac
