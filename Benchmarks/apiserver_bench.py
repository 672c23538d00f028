#!/usr/bin/env python3
"""Local API server figures: creates per second (10k ConfigMaps over parallel connections), list of 10k objects
(time, bytes), watch fan-out latency with 10 watchers, and the server's RSS holding 10k objects; then the same
creates and list over HTTPS with a bearer token (`--tls`) on a second server, and the HTTPS/HTTP ratios.

Usage: apiserver_bench.py PATH-TO-petrel-apiserver [COUNT]
"""
import base64, http.client, json, os, re, ssl, statistics, subprocess, sys, tempfile, threading, time
from concurrent.futures import ThreadPoolExecutor

def start(binary, extra=()):
    proc = subprocess.Popen([binary, "--port", "0", *extra], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    line = proc.stdout.readline()
    match = re.search(r"https?://([\d.]+):(\d+)", line)
    if not match:
        sys.exit(f"could not read the server URL from: {line!r}")
    return proc, match.group(1), int(match.group(2))

class Endpoint:
    """Where to send requests: plain HTTP, or HTTPS trusting `ca_pem` with a bearer token."""
    def __init__(self, host, port, ca_pem=None, token=None):
        self.host, self.port, self.token = host, port, token
        self.context = None
        if ca_pem:
            self.context = ssl.create_default_context(cadata=ca_pem)
    def connect(self):
        if self.context:
            return http.client.HTTPSConnection(self.host, self.port, context=self.context)
        return http.client.HTTPConnection(self.host, self.port)
    def headers(self, extra=None):
        headers = dict(extra or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

def create_phase(endpoint, count, payload, prefix="cm"):
    """Creates `count` ConfigMaps over 8 keep-alive connections; returns the seconds taken."""
    local = threading.local()
    def conn():
        if not hasattr(local, "c"):
            local.c = endpoint.connect()
        return local.c
    def create(i):
        body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": f"{prefix}-{i}", "namespace": "default"}, "data": {"k": payload}})
        c = conn()
        c.request("POST", "/api/v1/namespaces/default/configmaps", body,
                  endpoint.headers({"Content-Type": "application/json"}))
        r = c.getresponse(); r.read()
        if r.status != 201:
            raise RuntimeError(f"create {i}: HTTP {r.status}")
    start_time = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(create, range(count)))
    return time.perf_counter() - start_time

def list_phase(endpoint, runs=5):
    """Median seconds and bytes of listing every ConfigMap in `default`."""
    times, size = [], 0
    c = endpoint.connect()
    for _ in range(runs):
        t = time.perf_counter()
        c.request("GET", "/api/v1/namespaces/default/configmaps", headers=endpoint.headers())
        r = c.getresponse(); data = r.read()
        if r.status != 200:
            raise RuntimeError(f"list: HTTP {r.status}")
        times.append(time.perf_counter() - t); size = len(data)
    return statistics.median(times), size

def tls_comparison(binary, count, payload, plain_rate, plain_list):
    """The same creates and list over HTTPS + bearer token on a second server (`--tls`)."""
    with tempfile.TemporaryDirectory() as directory:
        kubeconfig = os.path.join(directory, "kubeconfig")
        proc, host, port = start(binary, ["--tls", "--write-kubeconfig", kubeconfig])
        try:
            text = open(kubeconfig).read()
            ca = base64.b64decode(re.search(r"certificate-authority-data: (\S+)", text).group(1)).decode()
            token = re.search(r"token: (\S+)", text).group(1)
            endpoint = Endpoint(host, port, ca, token)
            elapsed = create_phase(endpoint, count, payload)
            rate = count / elapsed
            print(f"HTTPS creates: {count} ConfigMaps over 8 TLS connections with a bearer token in {elapsed:.2f} s"
                  f" = {rate:.0f}/s ({rate / plain_rate:.2f}x plain HTTP)")
            median, size = list_phase(endpoint)
            print(f"HTTPS list: {count} objects, {size/1e6:.1f} MB, median {median*1000:.0f} ms of 5"
                  f" ({median / plain_list:.2f}x plain HTTP)")
        finally:
            proc.terminate(); proc.wait()

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
    payload = "x" * 900
    try:
        endpoint = Endpoint(host, port)
        baseline = rss_mib(proc.pid)
        elapsed = create_phase(endpoint, count, payload)
        plain_rate = count / elapsed
        print(f"creates: {count} ConfigMaps (1 KiB) over 8 connections in {elapsed:.2f} s = {plain_rate:.0f}/s")

        plain_list, size = list_phase(endpoint)
        print(f"list: {count} objects, {size/1e6:.1f} MB, median {plain_list*1000:.0f} ms of 5")
        c = endpoint.connect()
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
    tls_comparison(binary, count, payload, plain_rate, plain_list)

if __name__ == "__main__":
    main()
