#!/usr/bin/env bash
# Regenerates scripts/petrel-controller.order, the order in which the release link (scripts/build-release.sh)
# places petrel-controller's functions: those a controller runs, together. It runs a release petrel-controller
# under valgrind's callgrind (which names every function executed) through two benchmarks at a small size:
# an informer cache (Benchmarks/runtime_bench.py, rss phase) and GitRepository + Kustomizations reconciling a
# commit (Benchmarks/kustomization_bench.py). Takes a few minutes; run it after large changes and commit the file.
# A stale file only costs memory: names that no longer exist are ignored by the linker.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "orderfile.sh needs valgrind (apt-get install valgrind)"; exit 1; }
bash scripts/build-release.sh petrel-controller petrel-apiserver >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# valgrind 3.19 cannot read the DWARF 5 debug information; the symbol table is all it needs.
strip --strip-debug -o "$work/petrel-controller" .build/release/petrel-controller
export PATH="${PETREL_VENV:-$PWD/.petrel/venv}/bin:$PATH"
callgrind="valgrind --tool=callgrind --dump-instr=no --compress-strings=no --demangle=no"
PHASES=rss PETREL_BENCH_CONTROLLER_WRAPPER="$callgrind --callgrind-out-file=$work/informer.%p" \
    python3 Benchmarks/runtime_bench.py "$work/petrel-controller" .build/release/petrel-apiserver 100 3000
PETREL_BENCH_INTERVAL=10 PETREL_BENCH_CONTROLLER_WRAPPER="$callgrind --callgrind-out-file=$work/controller.%p" \
    python3 Benchmarks/kustomization_bench.py "$work/petrel-controller" .build/release/petrel-apiserver 4 5 2
python3 scripts/orderfile.py "$work/petrel-controller" scripts/petrel-controller.order \
    "$work"/controller.* "$work"/informer.*
# The next release link must pick the new order up.
rm -f .build/release/petrel-controller
