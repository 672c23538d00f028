#!/usr/bin/env python3
"""`petrel get kustomizations -A` against `kubectl get kustomizations -A`: whole process, the same local API server
holding N Kustomizations (each with a Ready condition, an inventory and a revision), runs interleaved so both tools
see the same machine load. Prints the median wall time, the median CPU time (user+sys of the process) and the
ratios.

Usage: cli_bench.py PATH-TO-petrel PATH-TO-petrel-apiserver [COUNT] [RUNS]
"""
import http.client, json, os, re, statistics, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor

KUBECTL = "/usr/bin/kubectl"

def start(binary):
    proc = subprocess.Popen([binary, "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    match = re.search(r"http://([\d.]+):(\d+)", line)
    if not match:
        sys.exit(f"could not read the server URL from: {line!r}")
    return proc, match.group(1), int(match.group(2))

def kubeconfig(path, host, port):
    with open(path, "w") as f:
        f.write(f"""apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: http://{host}:{port}
users:
- name: local
  user: {{}}
contexts:
- name: local
  context:
    cluster: local
    user: local
    namespace: petrel-system
current-context: local
""")

def kustomization(i):
    namespace = f"team-{i % 10}"
    return namespace, {
        "apiVersion": "kustomize.petrel.dev/v1", "kind": "Kustomization",
        "metadata": {"name": f"app-{i}", "namespace": namespace},
        "spec": {"sourceRef": {"kind": "GitRepository", "name": "repo", "namespace": "petrel-system"},
                 "path": f"./apps/app-{i}", "interval": "5m", "prune": True, "targetNamespace": f"app-{i}"},
    }

def status(i):
    rev = f"main@sha1:{i:040x}"
    return {"status": {
        "observedGeneration": 1, "lastAppliedRevision": rev, "lastAttemptedRevision": rev,
        "conditions": [{"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded",
                        "message": f"Applied revision: {rev}", "lastTransitionTime": "2026-01-01T00:00:00Z",
                        "observedGeneration": 1}],
        "inventory": {"entries": [{"id": f"app-{i}_web-{j}_apps_Deployment", "v": "v1"} for j in range(5)]},
    }}

def populate(host, port, count):
    def request(conn, method, path, body, content_type="application/json"):
        conn.request(method, path, json.dumps(body), {"Content-Type": content_type})
        response = conn.getresponse()
        response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: HTTP {response.status}")
    conn = http.client.HTTPConnection(host, port)
    for ns in ["petrel-system"] + [f"team-{n}" for n in range(10)]:
        request(conn, "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    def create(i):
        c = http.client.HTTPConnection(host, port)
        namespace, body = kustomization(i)
        base = f"/apis/kustomize.petrel.dev/v1/namespaces/{namespace}/kustomizations"
        request(c, "POST", base, body)
        request(c, "PATCH", f"{base}/app-{i}/status", status(i), "application/merge-patch+json")
        c.close()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(create, range(count)))

def measure(argv, env):
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{argv} failed: {err.decode()[:400]}")
    return wall, out

def cpu_of(argv, env):
    """CPU seconds (user+sys) of one run, from the rusage of the reaped child."""
    before = os.times()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    proc.wait()
    after = os.times()
    return (after.children_user - before.children_user) + (after.children_system - before.children_system)

def main():
    petrel, apiserver = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 15
    proc, host, port = start(apiserver)
    try:
        with tempfile.TemporaryDirectory() as home:
            config = os.path.join(home, "kubeconfig")
            kubeconfig(config, host, port)
            env = {**os.environ, "KUBECONFIG": config, "HOME": home, "KUBECACHEDIR": os.path.join(home, "cache")}
            crds = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crds")
            subprocess.run([KUBECTL, "apply", "--server-side", "-f", crds], env=env, check=True,
                           stdout=subprocess.DEVNULL)
            populate(host, port, count)
            cases = {"petrel": [petrel, "get", "kustomizations", "-A"],
                     "kubectl": [KUBECTL, "get", "kustomizations", "-A"]}
            # One warm-up each (kubectl fills its discovery cache, as it would on a user's machine).
            lines = {}
            for name, argv in cases.items():
                _, out = measure(argv, env)
                lines[name] = out.decode().count("\n") - 1
            walls = {name: [] for name in cases}
            cpus = {name: [] for name in cases}
            for _ in range(runs):
                for name, argv in cases.items():
                    walls[name].append(measure(argv, env)[0])
                    cpus[name].append(cpu_of(argv, env))
            print(f"{count} Kustomizations in 10 namespaces; rows printed: petrel {lines['petrel']}, "
                  f"kubectl {lines['kubectl']}; median of {runs} interleaved runs")
            print(f"{'tool':8} {'wall ms':>9} {'±':>6} {'cpu ms':>8}")
            for name in cases:
                print(f"{name:8} {statistics.median(walls[name])*1000:9.1f} "
                      f"{statistics.pstdev(walls[name])*1000:6.1f} {statistics.median(cpus[name])*1000:8.1f}")
            pw, kw = statistics.median(walls["petrel"]), statistics.median(walls["kubectl"])
            pc, kc = statistics.median(cpus["petrel"]), statistics.median(cpus["kubectl"])
            print(f"petrel is {kw/pw:.2f}x faster (wall), {kc/pc if pc else float('nan'):.2f}x less CPU")
    finally:
        proc.terminate()
        proc.wait()

if __name__ == "__main__":
    main()
