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
echo "== petrel get kustomizations -A vs kubectl get kustomizations -A (${GET_KUSTOMIZATIONS:-500} Kustomizations, local API server)"
python3 Benchmarks/cli_bench.py .build/release/petrel .build/release/petrel-apiserver "${GET_KUSTOMIZATIONS:-500}" "$RUNS"
echo
echo "== local API server"
python3 Benchmarks/apiserver_bench.py .build/release/petrel-apiserver "${OBJECTS:-10000}"
echo
echo "== controller runtime (petrel-controller bench-runtime against a local API server)"
swift build -c release --product petrel-controller >/dev/null
python3 Benchmarks/runtime_bench.py .build/release/petrel-controller .build/release/petrel-apiserver \
    "${RUNTIME_OBJECTS:-1000}" "${CACHE_OBJECTS:-10000}"

echo "== GitRepository controller vs git clone --depth 1 + tar czf (FILES=${FILES:-5000}, COMMITS=${COMMITS:-3000})"
swift build -c release --product petrel-gitrepository-bench >/dev/null
.build/release/petrel-gitrepository-bench
echo
echo "== Kustomization controller: ${KUSTOMIZATIONS:-200} Kustomizations x ${OBJECTS_EACH:-20} objects, steady state, commit -> object"
python3 Benchmarks/kustomization_bench.py .build/release/petrel-controller .build/release/petrel-apiserver \
    "${KUSTOMIZATIONS:-200}" "${OBJECTS_EACH:-20}" "${COMMITS:-10}"
echo
echo "== release binary sizes (petrel with --static-swift-stdlib, as built above; the others as the image builds them)"
python3 Benchmarks/binary_sizes.py .build/release/petrel .build/release/petrel-controller .build/release/petrel-apiserver
