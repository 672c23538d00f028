#!/usr/bin/env bash
# `make chaos`: the fault-injection scenarios of Tests/FaultTests in their long form (PETREL_CHAOS=1), run
# CHAOS_RUNS times one scenario at a time, as a benchmark: recovery times (median and worst), requests per second
# while the API server fails every request, shutdown time, invariant checks passed. Never part of `make test`,
# which runs the same scenarios in their short form.
#   CHAOS_RUNS=3 (default)   how many times each scenario runs
#   CHAOS_RELEASE=1          drive release binaries (scripts/build-release.sh; slow the first time) instead of debug
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${CHAOS_RUNS:-3}
swift build --build-tests >/dev/null
if [[ "${CHAOS_RELEASE:-0}" == 1 ]]; then
    bash scripts/build-release.sh petrel-apiserver petrel-controller >/dev/null
    export PETREL_BINARIES="$PWD/.build/release"
fi
export PETREL_CHAOS=1
# Logs and figures stay in .petrel/chaos/<time>/ for a second look.
out=.petrel/chaos/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
: >"$out/figures"
failed=0
for run in $(seq 1 "$RUNS"); do
    echo "== run $run of $RUNS" >&2
    if ! swift test --skip-build --disable-xctest --no-parallel --filter 'FaultTests\.(APIServerRestartTests|NetworkFaultTests|ShutdownTests)' \
        >"$out/run-$run.log" 2>&1; then
        failed=$((failed + 1))
        grep -a '✘' "$out/run-$run.log" | head -20 >&2 || true
    fi
    grep -a '^CHAOS ' "$out/run-$run.log" >>"$out/figures" || true
done
python3 Benchmarks/chaos_report.py "$out/figures" "$RUNS" "$failed" "${PETREL_BINARIES:-debug}"
[[ "$failed" == 0 ]]
