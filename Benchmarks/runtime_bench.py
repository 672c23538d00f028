#!/usr/bin/env python3
"""Controller-runtime figures of issue #3, each phase in its own petrel-controller process against a fresh local
API server: event->reconcile latency (p50/p99 over 1,000 objects), no-op reconciles/s at concurrency 1 and 4, and
the RSS of an informer cache of 10,000 1-KiB ConfigMaps (goal: under 40 MiB for the whole process).

The ConfigMaps are created by a separate `seed` process, so the measured process holds only what a controller
would: its runtime, a client and the cache. The rss phase prints RSS at start, with a client and after sync, the
bytes held per object and where the resident memory is; this script adds the process's peak RSS (sampled every
20 ms from /proc/PID/status).

usage: runtime_bench.py PETREL_CONTROLLER PETREL_APISERVER [OBJECTS] [CACHE_OBJECTS]
       (PHASES=latency,throughput,rss in the environment selects phases; PETREL_BENCH_CONTROLLER_WRAPPER, e.g. a
       valgrind command line, runs the measured phase under it: scripts/orderfile.sh uses that)
"""
import os, re, shlex, subprocess, sys, tempfile, threading, time

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

def run_sampled(argv):
    """Runs argv; returns (returncode, stdout, stderr, peak VmRSS in KiB)."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0]
    def sample():
        while proc.poll() is None:
            try:
                with open(f"/proc/{proc.pid}/status") as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            peak[0] = max(peak[0], int(line.split()[1]))
            except OSError:
                return
            time.sleep(0.02)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate(timeout=600)
    sampler.join()
    return proc.returncode, out, err, peak[0]

def main():
    controller, apiserver = sys.argv[1], sys.argv[2]
    objects = sys.argv[3] if len(sys.argv) > 3 else "1000"
    cache_objects = sys.argv[4] if len(sys.argv) > 4 else "10000"
    with tempfile.TemporaryDirectory() as directory:
        for phase in os.environ.get("PHASES", "latency,throughput,rss").split(","):
            proc, url = start_apiserver(apiserver)
            try:
                kubeconfig = os.path.join(directory, "kubeconfig")
                with open(kubeconfig, "w") as f:
                    f.write(KUBECONFIG % url)
                base = [controller, "bench-runtime", "--kubeconfig", kubeconfig]
                if phase == "rss":
                    seed = subprocess.run(base + ["--phase", "seed", "--cache-objects", cache_objects],
                                          capture_output=True, text=True, timeout=600)
                    match = re.search(r"namespace (\S+)", seed.stdout)
                    if seed.returncode != 0 or not match:
                        sys.stdout.write(f"phase seed failed ({seed.returncode}): {seed.stderr[-2000:]}\n")
                        continue
                    argv = base + ["--phase", "rss", "--namespace", match.group(1)]
                else:
                    argv = base + ["--phase", phase, "--objects", objects]
                code, out, err, peak = run_sampled(
                    shlex.split(os.environ.get("PETREL_BENCH_CONTROLLER_WRAPPER", "")) + argv)
                sys.stdout.write(out)
                if phase == "rss":
                    sys.stdout.write(f"  peak RSS of the rss process: {peak / 1024:.1f} MiB\n")
                if code != 0:
                    sys.stdout.write(f"phase {phase} failed ({code}): {err[-2000:]}\n")
            finally:
                proc.terminate()
                proc.wait()

if __name__ == "__main__":
    main()
