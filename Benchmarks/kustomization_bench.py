#!/usr/bin/env python3
"""Kustomization controller figures of issue #6, with release binaries, a real `git daemon` and the local API server:

- N Kustomizations x M ConfigMaps from one repository: time from creation to all Ready, and the controller's peak RSS;
- API writes during a steady-state window in which every Kustomization reconciles at least twice (goal: zero);
- commit -> object updated, with the requestedAt annotation set on the source (p50, p95);
- for scale, the same N x M objects applied by `kubectl apply --server-side` in one call against the same server.

usage: kustomization_bench.py PETREL_CONTROLLER PETREL_APISERVER [KUSTOMIZATIONS] [OBJECTS_EACH] [COMMITS]

The controller runs with its default client-side rate limit (--kube-api-qps 50, --kube-api-burst 300, as Flux)
unless PETREL_BENCH_QPS is set (then qps and burst are both that value): at 50 requests/s the limit, not the
controller, bounds creation -> all Ready (two requests per object at least: dry-run and apply).
"""
import os, shlex, re, socket, subprocess, sys, tempfile, threading, time

from kubernetes import client as kube, config as kubeconfig_loader, watch as kube_watch


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(*args, **kwargs):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs).stdout


def write_app(root, index, objects, value):
    folder = os.path.join(root, "apps", f"app-{index}")
    os.makedirs(folder, exist_ok=True)
    documents = []
    for j in range(objects):
        documents.append(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{j}\ndata:\n  value: \"{value}\"\n  padding: \"{'x' * 200}\"\n")
    with open(os.path.join(folder, "objects.yaml"), "w") as f:
        f.write("---\n".join(documents))


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def main():
    controller_binary, apiserver_binary = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    each = int(sys.argv[4]) if len(sys.argv) > 4 else 20
    commits = int(sys.argv[5]) if len(sys.argv) > 5 else 10
    processes = []
    # PETREL_BENCH_CONTROLLER_WRAPPER (e.g. a valgrind command line) runs the controller under it: the order-file
    # script (scripts/orderfile.sh) uses it to learn which functions a controller's life runs.
    wrapper = shlex.split(os.environ.get("PETREL_BENCH_CONTROLLER_WRAPPER", ""))
    with tempfile.TemporaryDirectory() as tmp:
        try:
            # The repository: one folder per Kustomization, each with `each` ConfigMaps.
            work = os.path.join(tmp, "work")
            for i in range(count):
                write_app(work, i, each, "v0")
            run("git", "-C", work, "init", "-q", "-b", "main")
            run("git", "-C", work, "add", "-A")
            run("git", "-C", work, "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-q", "-m", "v0")
            served = os.path.join(tmp, "served")
            os.makedirs(served)
            run("git", "clone", "-q", "--bare", work, os.path.join(served, "apps.git"))
            run("git", "-C", work, "remote", "add", "origin", os.path.join(served, "apps.git"))
            git_port = free_port()
            processes.append(subprocess.Popen(
                ["git", "daemon", "--reuseaddr", "--listen=127.0.0.1", f"--port={git_port}", f"--base-path={served}",
                 "--export-all", served], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

            apiserver = subprocess.Popen([apiserver_binary, "--port", "0"], stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, text=True)
            processes.append(apiserver)
            url = re.search(r"(http://[\d.]+:\d+)", apiserver.stdout.readline()).group(1)
            kubeconfig = os.path.join(tmp, "kubeconfig")
            with open(kubeconfig, "w") as f:
                f.write(f"apiVersion: v1\nkind: Config\nclusters: [{{name: b, cluster: {{server: \"{url}\"}}}}]\n"
                        "users: [{name: b, user: {}}]\ncontexts: [{name: b, context: {cluster: b, user: b}}]\n"
                        "current-context: b\n")
            kubectl = ["kubectl", "--kubeconfig", kubeconfig]
            root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
            run(*kubectl, "apply", "-f", os.path.join(root, "crds"))
            run(*kubectl, "create", "namespace", "bench")
            run(*kubectl, "create", "namespace", "plain")

            storage_port = free_port()
            qps = os.environ.get("PETREL_BENCH_QPS")
            qps_flags = ["--kube-api-qps", qps, "--kube-api-burst", qps] if qps else []
            print(f"controller client rate limit: {'qps=burst=' + qps if qps else 'default (qps 50, burst 300)'}")
            controller = subprocess.Popen(
                wrapper + [controller_binary, "--kubeconfig", kubeconfig, "--no-leader-elect", "--log-level", "warning",
                 "--storage-path", os.path.join(tmp, "storage"), "--storage-addr", f"127.0.0.1:{storage_port}",
                 "--storage-adv-addr", f"127.0.0.1:{storage_port}", "--metrics-addr", f"127.0.0.1:{free_port()}",
                 "--health-addr", f"127.0.0.1:{free_port()}"] + qps_flags,
                stdout=subprocess.DEVNULL, stderr=open(os.environ.get("PETREL_BENCH_CONTROLLER_LOG", os.path.join(tmp, "controller.log")), "w"))
            processes.append(controller)

            kubeconfig_loader.load_kube_config(config_file=kubeconfig)
            custom = kube.CustomObjectsApi()
            core = kube.CoreV1Api()
            # Every Kustomization's spec.interval (drift check). 200 x 20 at 10 s asks for 200 x 21 requests (one
            # LIST, 20 dry-runs) every 10 s: more than --kube-api-qps 50 serves, so at the default rate limit the
            # drift checks queue up and commit -> object waits behind them. PETREL_BENCH_INTERVAL changes it.
            interval_seconds = int(os.environ.get("PETREL_BENCH_INTERVAL", "10"))
            interval = f"{interval_seconds}s"
            manifests = [f"""apiVersion: source.petrel.dev/v1
kind: GitRepository
metadata: {{name: apps, namespace: bench}}
spec: {{url: "git://127.0.0.1:{git_port}/apps.git", interval: 1h, ref: {{branch: main}}}}
"""]
            for i in range(count):
                manifests.append(f"""apiVersion: kustomize.petrel.dev/v1
kind: Kustomization
metadata: {{name: app-{i}, namespace: bench}}
spec: {{sourceRef: {{kind: GitRepository, name: apps}}, path: ./apps/app-{i}, interval: {interval}, prune: true,
  targetNamespace: bench, namePrefix: a{i}-}}
""")
            path = os.path.join(tmp, "objects.yaml")
            with open(path, "w") as f:
                f.write("---\n".join(manifests))
            print("petrel-controller started; applying the GitRepository and Kustomizations", file=sys.stderr, flush=True)
            started = time.monotonic()
            run(*kubectl, "apply", "-f", path)

            def ready_count():
                items = custom.list_namespaced_custom_object("kustomize.petrel.dev", "v1", "bench", "kustomizations")["items"]
                return sum(1 for k in items for c in k.get("status", {}).get("conditions", [])
                           if c["type"] == "Ready" and c["status"] == "True")
            while ready_count() < count:
                if controller.poll() is not None or time.monotonic() - started > 600:
                    with open(os.environ.get("PETREL_BENCH_CONTROLLER_LOG", os.path.join(tmp, "controller.log"))) as log:
                        sys.exit(f"not all Kustomizations became Ready (controller exit {controller.poll()}); log tail:\n"
                                 + log.read()[:4000])
                time.sleep(0.25)
            all_ready = time.monotonic() - started
            print(f"{count} Kustomizations x {each} ConfigMaps: creation -> all Ready {all_ready:.2f} s")

            # Steady state: every Kustomization reconciles at least twice in the window; count API writes.
            window = 25
            rv = core.list_namespaced_config_map("bench", limit=1).metadata.resource_version
            ks_rv = custom.list_namespaced_custom_object("kustomize.petrel.dev", "v1", "bench", "kustomizations",
                                                         limit=1)["metadata"]["resourceVersion"]
            writes = {"configmaps": 0, "kustomizations": 0}

            def count_writes(kind, stream):
                for _ in stream:
                    writes[kind] += 1
            threads = [
                threading.Thread(target=count_writes, daemon=True, args=("configmaps", kube_watch.Watch().stream(
                    core.list_namespaced_config_map, "bench", resource_version=rv, timeout_seconds=window))),
                threading.Thread(target=count_writes, daemon=True, args=("kustomizations", kube_watch.Watch().stream(
                    custom.list_namespaced_custom_object, "kustomize.petrel.dev", "v1", "bench", "kustomizations",
                    resource_version=ks_rv, timeout_seconds=window))),
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(window + 10)
            print(f"API writes in a {window} s steady-state window (interval {interval}, up to "
                  f"~{count * max(1, window // interval_seconds)} "
                  f"reconciles): ConfigMaps {writes['configmaps']}, Kustomizations {writes['kustomizations']} (goal 0)")

            # Commit -> object updated (app-0, the only folder that changes), and -> every Kustomization at the
            # new revision (the others' builds are unchanged).
            latencies = []
            all_latencies = []

            def revisions():
                items = custom.list_namespaced_custom_object("kustomize.petrel.dev", "v1", "bench", "kustomizations")["items"]
                return [k.get("status", {}).get("lastAppliedRevision", "") for k in items]
            for n in range(1, commits + 1):
                write_app(work, 0, each, f"v{n}")
                run("git", "-C", work, "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-q",
                    "-am", f"v{n}")
                run("git", "-C", work, "push", "-q", "origin", "main")
                begin = time.monotonic()
                custom.patch_namespaced_custom_object(
                    "source.petrel.dev", "v1", "bench", "gitrepositories", "apps",
                    {"metadata": {"annotations": {"reconcile.petrel.dev/requestedAt": f"bench-{n}-{time.time()}"}}})
                while core.read_namespaced_config_map("a0-cm-0", "bench").data.get("value") != f"v{n}":
                    if time.monotonic() - begin > 120:
                        sys.exit(f"commit {n} did not reach the cluster within 120 s")
                    time.sleep(0.01)
                latencies.append((time.monotonic() - begin) * 1000)
                # The object changed, so the source's artifact is the new commit.
                target = custom.get_namespaced_custom_object(
                    "source.petrel.dev", "v1", "bench", "gitrepositories", "apps")["status"]["artifact"]["revision"]
                while any(r != target for r in revisions()):
                    if time.monotonic() - begin > 300:
                        sys.exit(f"commit {n} did not reach every Kustomization within 300 s")
                    time.sleep(0.1)
                all_latencies.append((time.monotonic() - begin) * 1000)
            print(f"commit -> object updated over {commits} commits: p50 {percentile(latencies, 50):.0f} ms, "
                  f"p95 {percentile(latencies, 95):.0f} ms")
            print(f"commit -> all {count} Kustomizations at the new revision: p50 {percentile(all_latencies, 50):.0f} ms, "
                  f"p95 {percentile(all_latencies, 95):.0f} ms")
            print(f"controller peak RSS (VmHWM): {peak_rss_kib(controller.pid) / 1024:.1f} MiB (goal < 64 MiB)")

            # Scale reference: the same objects in one kubectl apply --server-side.
            flat = []
            for i in range(count):
                for j in range(each):
                    flat.append(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a{i}-cm-{j}\n  namespace: plain\n"
                                f"data:\n  value: \"v0\"\n  padding: \"{'x' * 200}\"\n")
            flat_path = os.path.join(tmp, "flat.yaml")
            with open(flat_path, "w") as f:
                f.write("---\n".join(flat))
            begin = time.monotonic()
            run(*kubectl, "apply", "--server-side", "-f", flat_path)
            plain = time.monotonic() - begin
            print(f"same {count * each} objects by kubectl apply --server-side in one call: {plain:.2f} s; "
                  f"ratio petrel all-Ready / kubectl apply = {all_ready / plain:.2f}")
        finally:
            for process in reversed(processes):
                process.terminate()
                try:
                    process.wait(timeout=300 if wrapper else 10)
                except subprocess.TimeoutExpired:
                    process.kill()


if __name__ == "__main__":
    main()
