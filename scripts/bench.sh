#!/usr/bin/env bash
# `make bench`: Petrel's benchmarks, never part of `make test`. Builds release binaries first (several minutes the
# first time). Each comparison runs side by side in one run, so the ratios hold even on a noisy machine.
set -euo pipefail
cd "$(dirname "$0")/.."
# Every binary is built as the image ships it (scripts/build-release.sh: static Swift runtime, lld, packed
# relocations, petrel-controller's functions ordered); one set of flags, so nothing is compiled twice.
bash scripts/build-release.sh petrel petrel-apiserver petrel-controller petrel-gitrepository-bench >/dev/null
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
python3 Benchmarks/runtime_bench.py .build/release/petrel-controller .build/release/petrel-apiserver \
    "${RUNTIME_OBJECTS:-1000}" "${CACHE_OBJECTS:-10000}"

echo "== GitRepository controller vs git clone --depth 1 + tar czf (FILES=${FILES:-5000}, COMMITS=${COMMITS:-3000})"
.build/release/petrel-gitrepository-bench
echo
echo "== Kustomization controller: ${KUSTOMIZATIONS:-200} Kustomizations x ${OBJECTS_EACH:-20} objects, steady state, commit -> object"
python3 Benchmarks/kustomization_bench.py .build/release/petrel-controller .build/release/petrel-apiserver \
    "${KUSTOMIZATIONS:-200}" "${OBJECTS_EACH:-20}" "${COMMITS:-10}"
echo
echo "== release binary sizes (as scripts/build-release.sh builds them for the image)"
python3 Benchmarks/binary_sizes.py .build/release/petrel .build/release/petrel-controller .build/release/petrel-apiserver
