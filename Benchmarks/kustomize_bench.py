#!/usr/bin/env python3
"""`petrel build` against `kubectl kustomize`: whole process, same inputs, side by side in one run.

Prints, per case, the median wall time, median CPU time and peak RSS of each tool over N runs (the two tools
alternating, so both see the same load on a shared machine), and the ratios.
Cases are generated into a temporary folder: small (an overlay on a base), medium (50 resources, 3 overlays
deep, generators), large (1,000 resources, patches by label selector).
"""
import os, statistics, subprocess, sys, tempfile, time

def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)

def deployment(name, labels):
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels: {{{labels}}}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
      - name: app
        image: nginx:1.27
        envFrom:
        - configMapRef:
            name: {name}-config
        ports:
        - containerPort: 80
"""

def configmap(name):
    return f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}-config
data:
  key: value-{name}
"""

def make_cases(root):
    cases = {}
    # small
    write(f"{root}/small/base/kustomization.yaml", "resources:\n- app.yaml\nconfigMapGenerator:\n- name: app\n  literals: [a=b]\n")
    write(f"{root}/small/base/app.yaml", deployment("web", "tier: web") + "---\n" + configmap("web"))
    write(f"{root}/small/overlay/kustomization.yaml",
          "resources:\n- ../base\nnamespace: prod\nnamePrefix: prod-\nimages:\n- name: nginx\n  newTag: '1.28'\n")
    cases["small"] = f"{root}/small/overlay"
    # medium: 25 deployments + 25 configmaps, 3 overlays, generators
    docs = []
    for i in range(25):
        docs += [deployment(f"svc{i}", "tier: mid"), configmap(f"svc{i}")]
    write(f"{root}/medium/base/resources.yaml", "---\n".join(docs))
    write(f"{root}/medium/base/kustomization.yaml",
          "resources:\n- resources.yaml\nconfigMapGenerator:\n- name: shared\n  literals: [x=1, y=2]\ncommonLabels:\n  team: core\n")
    write(f"{root}/medium/o1/kustomization.yaml", "resources:\n- ../base\nnamePrefix: o1-\nsecretGenerator:\n- name: creds\n  literals: [p=q]\n")
    write(f"{root}/medium/o2/kustomization.yaml", "resources:\n- ../o1\nnamespace: staging\nimages:\n- name: nginx\n  newTag: '2'\n")
    write(f"{root}/medium/o3/kustomization.yaml",
          "resources:\n- ../o2\nnameSuffix: -v3\ncommonAnnotations:\n  owner: platform\nreplicas:\n- name: o1-svc1-v3\n  count: 3\n")
    cases["medium"] = f"{root}/medium/o3"
    # large: 500 deployments + 500 configmaps, strategic-merge patch by label selector
    docs = []
    for i in range(500):
        docs += [deployment(f"app{i}", f"tier: {'front' if i % 2 else 'back'}"), configmap(f"app{i}")]
    write(f"{root}/large/base/resources.yaml", "---\n".join(docs))
    write(f"{root}/large/base/kustomization.yaml", "resources:\n- resources.yaml\n")
    write(f"{root}/large/overlay/kustomization.yaml", """resources:
- ../base
namespace: big
patches:
- target:
    kind: Deployment
    labelSelector: tier=front
  patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: any
    spec:
      replicas: 2
- target:
    kind: Deployment
    labelSelector: tier=back
  patch: |-
    - op: add
      path: /metadata/annotations
      value: {backend: "true"}
""")
    cases["large"] = f"{root}/large/overlay"
    return cases

def run_once(argv):
    """Wall seconds, CPU seconds (user+sys), peak RSS MiB and stdout of one run."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    data = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{argv} failed")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, data

def measure_pair(first, second, runs):
    """Runs the two commands alternately (so both see the same machine load); per command: median wall, its
    standard deviation, median CPU, peak RSS and the output."""
    results = [([], [], [], None), ([], [], [], None)]
    for _ in range(runs):
        for index, argv in enumerate((first, second)):
            wall, cpu, rss, out = run_once(argv)
            walls, cpus, rsss, _ = results[index]
            walls.append(wall); cpus.append(cpu); rsss.append(rss)
            results[index] = (walls, cpus, rsss, out)
    return [(statistics.median(w), statistics.pstdev(w), statistics.median(c), max(r), o) for w, c, r, o in results]

def main():
    petrel = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    kubectl = "/usr/bin/kubectl"
    with tempfile.TemporaryDirectory() as root:
        cases = make_cases(root)
        print(f"median of {runs} runs, the two tools alternating; wall = elapsed, cpu = user+sys of the process")
        print(f"{'case':8} {'petrel ms':>10} {'±':>6} {'kubectl ms':>11} {'±':>6} {'speed-up':>9} "
              f"{'cpu petrel':>11} {'cpu kubectl':>12} {'cpu ratio':>10} {'petrel MiB':>11} {'kubectl MiB':>12}  same output")
        for name, path in cases.items():
            (pt, psd, pc, prss, pout), (kt, ksd, kc, krss, kout) = measure_pair(
                [petrel, "build", path], [kubectl, "kustomize", path], runs)
            print(f"{name:8} {pt*1000:10.1f} {psd*1000:6.1f} {kt*1000:11.1f} {ksd*1000:6.1f} {kt/pt:8.2f}x "
                  f"{pc*1000:11.1f} {kc*1000:12.1f} {kc/pc if pc else float('nan'):9.2f}x {prss:11.1f} {krss:12.1f}  "
                  f"{pout == kout}")
        # Process start-up alone: `petrel version`.
        walls = sorted(run_once([petrel, "version"])[0] for _ in range(runs))
        print(f"petrel version (start-up and exit): {statistics.median(walls)*1000:.1f} ms")
        # In-process time of the build and render alone (no process start-up), as `petrel build` reports it.
        for name, path in cases.items():
            proc = subprocess.run([petrel, "build", path], env={**os.environ, "PETREL_BUILD_TIMING": "1"},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            print(f"{name:8} in-process {proc.stderr.strip()}")

if __name__ == "__main__":
    main()
