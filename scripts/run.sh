#!/usr/bin/env bash
# `make run`: with KUBECONFIG set, run the controllers against that cluster (own Lease, only objects labelled
# petrel.dev/run=$PETREL_RUN_ID; see README "What `make run` does"). Without it, run the embedded default:
# Petrel's local API server (state in .petrel/run), a demo Git repository served by `git daemon` on loopback,
# the CRDs and a GitRepository + Kustomization pointing at the demo, and the controllers in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUN=$ROOT/.petrel/run
BIN=$ROOT/.build/debug

if [ -z "${PETREL_RUN_SKIP_BUILD:-}" ]; then   # set it when the binaries are already built
    swift build --product petrel-apiserver >/dev/null
    swift build --product petrel-controller >/dev/null
    swift build --product petrel >/dev/null
fi
METRICS_ADDR=${PETREL_METRICS_ADDR:-127.0.0.1:8080}
HEALTH_ADDR=${PETREL_HEALTH_ADDR:-127.0.0.1:9440}

if [ -n "${KUBECONFIG:-}" ]; then
    # A development run against a real cluster must never compete with the Petrel installed there: it writes
    # artifact URLs on this machine's loopback, which in-cluster Kustomizations cannot reach. So it takes its own
    # Lease (never the production one) and reconciles only the objects labelled for it.
    RUN_ID=${PETREL_RUN_ID:-petrel-dev-$(id -un | tr 'A-Z' 'a-z' | tr -c 'a-z0-9\n' '-')}
    SELECTOR=${PETREL_RUN_SELECTOR-petrel.dev/run=$RUN_ID}
    if [ -z "$SELECTOR" ] && [ -z "${PETREL_RUN_ALL:-}" ]; then
        echo "petrel: PETREL_RUN_SELECTOR is empty: that would reconcile every object of the cluster and write" >&2
        echo "petrel: loopback artifact URLs into them. Set PETREL_RUN_ALL=1 only if no other Petrel runs there." >&2
        exit 2
    fi
    echo "petrel: running the controllers against the cluster in KUBECONFIG=$KUBECONFIG"
    echo "petrel: Lease $RUN_ID in namespace ${PETREL_RUN_LEASE_NAMESPACE:-default}; objects: ${SELECTOR:-all}"
    echo "petrel: label what this run should reconcile: kubectl label gitrepository,kustomization NAME ${SELECTOR}"
    mkdir -p "$ROOT/.petrel/storage"
    exec "$BIN/petrel-controller" --kubeconfig "$KUBECONFIG" --log-encoding console \
        --leader-election-id "$RUN_ID" --leader-election-namespace "${PETREL_RUN_LEASE_NAMESPACE:-default}" \
        ${SELECTOR:+--watch-label-selector "$SELECTOR"} \
        --storage-path "$ROOT/.petrel/storage" --storage-addr "127.0.0.1:${PETREL_STORAGE_PORT:-9090}" \
        --storage-adv-addr "127.0.0.1:${PETREL_STORAGE_PORT:-9090}" \
        --metrics-addr "$METRICS_ADDR" --health-addr "$HEALTH_ADDR"
fi

mkdir -p "$RUN"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# 1. The local API server.
rm -f "$RUN/kubeconfig" "$RUN/apiserver.url"
"$BIN/petrel-apiserver" --port 0 --data-dir "$RUN/apiserver" --write-kubeconfig "$RUN/kubeconfig" \
    >"$RUN/apiserver.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$RUN/kubeconfig" ] && break; sleep 0.1; done
if [ ! -s "$RUN/kubeconfig" ]; then
    echo "petrel: the local API server did not start; see $RUN/apiserver.log" >&2
    exit 1
fi
export KUBECONFIG=$RUN/kubeconfig

# 2. The demo repository: examples/demo-app committed to a bare repository, served on loopback.
DEMO=$RUN/git/demo.git
if [ ! -d "$DEMO" ]; then
    work=$(mktemp -d)
    mkdir -p "$work/examples"
    cp -r examples/demo-app "$work/examples/"
    git -C "$work" init -q -b main
    git -C "$work" add -A
    git -C "$work" -c user.name=petrel -c user.email=petrel@localhost commit -q -m "demo app"
    mkdir -p "$RUN/git"
    git clone -q --bare "$work" "$DEMO"
    rm -rf "$work"
fi
GIT_PORT=${PETREL_DEMO_GIT_PORT:-9418}
git daemon --reuseaddr --listen=127.0.0.1 --port="$GIT_PORT" --base-path="$RUN/git" --export-all "$RUN/git" \
    >"$RUN/git-daemon.log" 2>&1 &
pids+=($!)

# 3. CRDs and the demo objects.
kubectl apply -f crds/ >/dev/null
kubectl create namespace petrel-system --dry-run=client -o yaml | kubectl apply -f - >/dev/null
sed "s#url: .*#url: git://127.0.0.1:$GIT_PORT/demo.git#" examples/gitrepository.yaml | kubectl apply -f - >/dev/null
kubectl apply -f examples/kustomization.yaml >/dev/null

cat <<INFO
petrel: local API server running; kubeconfig: $KUBECONFIG
petrel: demo repository: git://127.0.0.1:$GIT_PORT/demo.git (bare repo at $DEMO)

  Watch:    kubectl --kubeconfig $KUBECONFIG get gitrepositories,kustomizations -A -w
  Applied:  kubectl --kubeconfig $KUBECONFIG get deployments,services,configmaps -n demo
  Change:   git clone $DEMO /tmp/demo && cd /tmp/demo && (edit examples/demo-app) && git commit -am change && git push
  Now:      $BIN/petrel --kubeconfig $KUBECONFIG reconcile source demo -n petrel-system

INFO
STORAGE_PORT=${PETREL_STORAGE_PORT:-9090}
"$BIN/petrel-controller" --kubeconfig "$KUBECONFIG" --log-encoding console \
    --leader-election-namespace petrel-system \
    --storage-path "$RUN/storage" --storage-addr "127.0.0.1:$STORAGE_PORT" --storage-adv-addr "127.0.0.1:$STORAGE_PORT" \
    --metrics-addr "$METRICS_ADDR" --health-addr "$HEALTH_ADDR"
