#!/usr/bin/env python3
"""Controller-runtime figures of issue #3, each phase in its own petrel-controller process against a fresh local
API server: event->reconcile latency (p50/p99 over 1,000 objects), no-op reconciles/s at concurrency 1 and 4, and
the RSS of an informer cache of 10,000 1-KiB ConfigMaps.

usage: runtime_bench.py PETREL_CONTROLLER PETREL_APISERVER [OBJECTS] [CACHE_OBJECTS]
"""
import os, re, subprocess, sys, tempfile

def start_apiserver(binary):
    proc = subprocess.Popen([binary, "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    match = re.search(r"(http://[\d.]+:\d+)", line)
    if not match:
        proc.kill()
        sys.exit(f"could not read the server URL from: {line!r}")
    return proc, match.group(1)

KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: bench, cluster: {server: "%s"}}]
users: [{name: bench, user: {}}]
contexts: [{name: bench, context: {cluster: bench, user: bench}}]
current-context: bench
"""

def main():
    controller, apiserver = sys.argv[1], sys.argv[2]
    objects = sys.argv[3] if len(sys.argv) > 3 else "1000"
    cache_objects = sys.argv[4] if len(sys.argv) > 4 else "10000"
    with tempfile.TemporaryDirectory() as directory:
        for phase in ["latency", "throughput", "rss"]:
            proc, url = start_apiserver(apiserver)
            try:
                kubeconfig = os.path.join(directory, "kubeconfig")
                with open(kubeconfig, "w") as f:
                    f.write(KUBECONFIG % url)
                result = subprocess.run(
                    [controller, "bench-runtime", "--kubeconfig", kubeconfig, "--phase", phase,
                     "--objects", objects, "--cache-objects", cache_objects],
                    capture_output=True, text=True, timeout=600)
                sys.stdout.write(result.stdout)
                if result.returncode != 0:
                    sys.stdout.write(f"phase {phase} failed ({result.returncode}): {result.stderr[-2000:]}\n")
            finally:
                proc.terminate()
                proc.wait()

if __name__ == "__main__":
    main()
