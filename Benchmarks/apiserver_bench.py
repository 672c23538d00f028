#!/usr/bin/env python3
"""Local API server figures: creates per second (10k ConfigMaps over parallel connections), list of 10k objects
(time, bytes), watch fan-out latency with 10 watchers, and the server's RSS holding 10k objects.

Usage: apiserver_bench.py PATH-TO-petrel-apiserver [COUNT]
"""
import http.client, json, os, re, statistics, subprocess, sys, threading, time
from concurrent.futures import ThreadPoolExecutor

def start(binary):
    proc = subprocess.Popen([binary, "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    match = re.search(r"http://([\d.]+):(\d+)", line)
    if not match:
        sys.exit(f"could not read the server URL from: {line!r}")
    return proc, match.group(1), int(match.group(2))

def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0

def main():
    binary = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    proc, host, port = start(binary)
    try:
        local = threading.local()
        def conn():
            if not hasattr(local, "c"):
                local.c = http.client.HTTPConnection(host, port)
            return local.c
        payload = "x" * 900
        def create(i):
            body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                               "metadata": {"name": f"cm-{i}", "namespace": "default"}, "data": {"k": payload}})
            c = conn()
            c.request("POST", "/api/v1/namespaces/default/configmaps", body, {"Content-Type": "application/json"})
            r = c.getresponse(); r.read()
            if r.status != 201:
                raise RuntimeError(f"create {i}: HTTP {r.status}")
        baseline = rss_mib(proc.pid)
        start_time = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(create, range(count)))
        elapsed = time.perf_counter() - start_time
        print(f"creates: {count} ConfigMaps (1 KiB) over 8 connections in {elapsed:.2f} s = {count/elapsed:.0f}/s")

        times, size = [], 0
        c = http.client.HTTPConnection(host, port)
        for _ in range(5):
            t = time.perf_counter()
            c.request("GET", "/api/v1/namespaces/default/configmaps")
            r = c.getresponse(); data = r.read()
            times.append(time.perf_counter() - t); size = len(data)
        print(f"list: {count} objects, {size/1e6:.1f} MB, median {statistics.median(times)*1000:.0f} ms of 5")
        print(f"server RSS: {rss_mib(proc.pid):.0f} MiB with {count} objects (baseline {baseline:.0f} MiB)")

        # Watch fan-out: 10 watchers, 200 updates, latency from the write's response to each watcher's event.
        c.request("GET", "/api/v1/namespaces/default/configmaps?limit=1")
        rv = json.loads(c.getresponse().read())["metadata"]["resourceVersion"]
        received = {}
        lock = threading.Lock()
        ready = threading.Barrier(11)
        def watcher(w):
            wc = http.client.HTTPConnection(host, port)
            wc.request("GET", f"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={rv}&timeoutSeconds=60")
            resp = wc.getresponse()
            ready.wait()
            seen = 0
            while seen < 200:
                line = resp.readline()
                if not line:
                    break
                event = json.loads(line)
                if event["type"] == "MODIFIED":
                    name = event["object"]["metadata"]["name"]
                    with lock:
                        received.setdefault(name, []).append(time.perf_counter())
                    seen += 1
        threads = [threading.Thread(target=watcher, args=(w,)) for w in range(10)]
        for t in threads: t.start()
        ready.wait()
        sent = {}
        for i in range(200):
            name = f"cm-{i}"
            body = json.dumps({"data": {"k": f"v{i}"}})
            c.request("PATCH", f"/api/v1/namespaces/default/configmaps/{name}", body,
                      {"Content-Type": "application/merge-patch+json"})
            r = c.getresponse(); r.read()
            sent[name] = time.perf_counter()
            time.sleep(0.002)
        for t in threads: t.join(timeout=30)
        latencies = sorted((at - sent[n]) * 1000 for n, ats in received.items() for at in ats)
        if latencies:
            p50 = latencies[len(latencies) // 2]; p99 = latencies[int(len(latencies) * 0.99) - 1]
            print(f"watch fan-out: 10 watchers x 200 updates, {len(latencies)} deliveries, p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    finally:
        proc.terminate(); proc.wait()

if __name__ == "__main__":
    main()
