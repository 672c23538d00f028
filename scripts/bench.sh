#!/usr/bin/env bash
# `make bench`: Petrel's benchmarks. They live in Benchmarks/ (a sibling package), so `make test` never builds them.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f Benchmarks/Package.swift ]; then
    echo "bench: no benchmarks yet"; exit 0
fi
cd Benchmarks
swift run -c release petrel-bench "$@"
