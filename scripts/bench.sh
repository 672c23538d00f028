#!/usr/bin/env bash
# `make bench`: Petrel's benchmarks, never part of `make test`. Builds release binaries first (several minutes the
# first time). Each comparison runs side by side in one run, so the ratios hold even on a noisy machine.
set -euo pipefail
cd "$(dirname "$0")/.."
# The Swift runtime and Foundation linked statically: dynamic linking of libFoundation and friends was about half of
# a small build's 30 ms.
swift build -c release --product petrel --static-swift-stdlib >/dev/null
swift build -c release --product petrel-apiserver >/dev/null
RUNS=${RUNS:-15}
echo "== petrel build vs kubectl kustomize (whole process, median of $RUNS runs)"
python3 Benchmarks/kustomize_bench.py .build/release/petrel "$RUNS"
echo
echo "== local API server"
python3 Benchmarks/apiserver_bench.py .build/release/petrel-apiserver "${OBJECTS:-10000}"
