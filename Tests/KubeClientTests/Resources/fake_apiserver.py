#!/usr/bin/env python3
"""A tiny canned Kubernetes API server for KubeClientTests: serves fixed JSON, a chunked watch stream,
429s, Status errors and pagination over real HTTP/1.1. Prints its port on the first line of stdout."""
import json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

counters = {}
lock = threading.Lock()
requests = []


def bump(name):
    with lock:
        counters[name] = counters.get(name, 0) + 1
        return counters[name]


def status(code, reason, message, causes=None, kind="configmaps"):
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code, "details": {"kind": kind}}
    if causes:
        body["details"]["causes"] = causes
    return code, body


def cm(name, rv="1"):
    return {"metadata": {"name": name, "namespace": "ns", "resourceVersion": rv},
            "data": {"k": "v"}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, code, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        record = {"method": self.command, "path": url.path, "query": query,
                  "authorization": self.headers.get("Authorization", ""),
                  "contentType": self.headers.get("Content-Type", ""),
                  "impersonateUser": self.headers.get("Impersonate-User", ""),
                  "impersonateGroups": ",".join(self.headers.get_all("Impersonate-Group") or []),
                  "body": body.decode() if body else ""}
        if url.path != "/_requests":
            with lock:
                requests.append(record)
        p = url.path
        if p == "/_requests":
            with lock:
                return self.send_json(200, {"requests": requests})
        if p == "/api/v1/namespaces/ns/configmaps" and query.get("watch") == "true":
            return self.watch()
        if p == "/api/v1/namespaces/ns/configmaps" and self.command == "GET":
            items = [cm("a"), cm("b"), cm("c"), cm("d"), cm("e")]
            limit = int(query.get("limit", "0") or 0)
            start = int(query.get("continue", "0") or 0)
            page = items[start:start + limit] if limit else items[start:]
            nxt = start + len(page)
            meta = {"resourceVersion": "42"}
            if limit and nxt < len(items):
                meta["continue"] = str(nxt)
            return self.send_json(200, {"kind": "ConfigMapList", "apiVersion": "v1", "metadata": meta, "items": page})
        if p == "/api/v1/namespaces/ns/configmaps" and self.command == "POST":
            obj = json.loads(body)
            if obj["metadata"]["name"] == "exists":
                return self.send_json(*status(409, "AlreadyExists", 'configmaps "exists" already exists'))
            if obj["metadata"]["name"] == "invalid":
                return self.send_json(*status(422, "Invalid", 'ConfigMap "invalid" is invalid',
                                              [{"reason": "FieldValueInvalid", "message": "bad key", "field": "data.x"}]))
            obj["metadata"]["resourceVersion"] = "2"
            return self.send_json(201, obj)
        if p == "/api/v1/namespaces/ns/configmaps/throttled":
            if bump("throttled") <= 2:
                return self.send_json(*status(429, "TooManyRequests", "slow down"), headers={"Retry-After": "1"})
            return self.send_json(200, cm("throttled"))
        if p == "/api/v1/namespaces/ns/configmaps/always-throttled":
            return self.send_json(*status(429, "TooManyRequests", "slow down"), headers={"Retry-After": "0"})
        if p == "/api/v1/namespaces/ns/configmaps/stale" and self.command == "PUT":
            return self.send_json(*status(409, "Conflict", "the object has been modified"))
        if p == "/api/v1/namespaces/ns/configmaps/forbidden":
            return self.send_json(*status(403, "Forbidden", "configmaps is forbidden"))
        if p == "/api/v1/namespaces/ns/configmaps/broken":
            self.send_response(500)
            self.send_header("Content-Length", "9")
            self.end_headers()
            return self.wfile.write(b"not json!")
        if p == "/api/v1/namespaces/ns/configmaps/slow":
            time.sleep(30)  # far beyond the client's 500 ms timeout, even on a loaded machine
            return self.send_json(200, cm("slow"))
        if p == "/api/v1/namespaces/ns/configmaps/rotating":
            if self.headers.get("Authorization") != "Bearer second":
                return self.send_json(*status(401, "Unauthorized", "Unauthorized"))
            return self.send_json(200, cm("rotating"))
        if p.startswith("/api/v1/namespaces/ns/configmaps/"):
            name = p.rsplit("/", 1)[-1]
            if p.endswith("/status"):
                name = p.split("/")[-2]
            if name == "missing":
                return self.send_json(*status(404, "NotFound", 'configmaps "missing" not found'))
            if self.command in ("PUT", "PATCH"):
                return self.send_json(200, json.loads(body) if self.command == "PUT" else cm(name, "3"))
            if self.command == "DELETE":
                return self.send_json(200, {"kind": "Status", "apiVersion": "v1", "status": "Success", "code": 200})
            return self.send_json(200, cm(name))
        if p == "/api":
            return self.send_json(200, {"kind": "APIVersions", "versions": ["v1"]})
        if p == "/apis":
            return self.send_json(200, {"kind": "APIGroupList", "groups": [
                {"name": "apps", "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
                 "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"}}]})
        if p == "/api/v1":
            return self.send_json(200, {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
                {"name": "configmaps", "namespaced": True, "kind": "ConfigMap", "verbs": ["get", "list"]},
                {"name": "namespaces", "namespaced": False, "kind": "Namespace", "verbs": ["get"]},
                {"name": "namespaces/status", "namespaced": False, "kind": "Namespace", "verbs": ["get"]}]})
        if p == "/apis/example.com/v1":
            # The CRD "appears" after the first discovery request.
            if bump("crd") == 1:
                return self.send_json(200, {"kind": "APIResourceList", "groupVersion": "example.com/v1", "resources": []})
            return self.send_json(200, {"kind": "APIResourceList", "groupVersion": "example.com/v1", "resources": [
                {"name": "widgets", "namespaced": True, "kind": "Widget", "verbs": ["get"]}]})
        return self.send_json(*status(404, "NotFound", "the server could not find the requested resource"))

    def watch(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        events = [{"type": "ADDED", "object": cm("a", "10")},
                  {"type": "MODIFIED", "object": cm("a", "11")},
                  {"type": "BOOKMARK", "object": {"kind": "ConfigMap", "metadata": {"resourceVersion": "12"}}},
                  {"type": "DELETED", "object": cm("a", "13")},
                  {"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                               "reason": "Expired", "code": 410, "message": "too old"}}]
        data = "".join(json.dumps(e) + "\n" for e in events).encode()
        # Deliberately awkward chunks: lines split in the middle, several lines in one chunk.
        sizes = [5, 40, 3, 200, 1, 77]
        i = 0
        k = 0
        while i < len(data):
            size = sizes[k % len(sizes)]
            chunk = data[i:i + size]
            self.wfile.write(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            self.wfile.flush()
            time.sleep(0.01)
            i += size
            k += 1
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
threading.Thread(target=lambda: (sys.stdin.read(), server.shutdown()), daemon=True).start()
server.serve_forever()
