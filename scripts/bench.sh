#!/usr/bin/env bash
# `make bench`: Petrel's benchmarks, never part of `make test`. Builds release binaries first.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product petrel >/dev/null
RUNS=${RUNS:-15}
echo "== petrel build vs kubectl kustomize (whole process, median of $RUNS runs, one run side by side)"
python3 Benchmarks/kustomize_bench.py .build/release/petrel "$RUNS"
