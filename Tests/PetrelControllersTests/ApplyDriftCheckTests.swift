import Foundation
import KubeClient
import KubeCore
import LocalAPIServer
import Logging
import PetrelTesting
import Synchronization
import Testing

@testable import PetrelControllers

/// The log of a counting HTTP proxy (Python's http.server) between the apply engine and the local API server:
/// one `METHOD path?query` line per request, written before the request is forwarded.
struct RequestLog: Sendable {
    let file: URL

    /// Every request so far.
    var lines: [String] {
        ((try? String(contentsOf: file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// The requests after the first `mark` ones.
    func since(_ mark: Int) -> [String] { Array(lines.dropFirst(mark)) }

    static func dryRuns(_ lines: [String]) -> [String] { lines.filter { $0.hasPrefix("PATCH ") && $0.contains("dryRun=All") } }
    static func writes(_ lines: [String]) -> [String] { lines.filter { !$0.hasPrefix("GET ") && !$0.contains("dryRun=All") } }
    static func reads(_ lines: [String]) -> [String] { lines.filter { $0.hasPrefix("GET ") } }
}

/// A reverse proxy forwarding every request to the upstream, logging its request line first.
private let countingProxy = """
    import http.client, http.server, sys, threading
    upstream_port, port, log_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    lock = threading.Lock()
    log = open(log_path, "a", buffering=1)
    local = threading.local()
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def log_message(self, *args):
            pass
        def forward(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            with lock:
                log.write(self.command + " " + self.path + "\\n")
            skip = ("host", "connection", "content-length", "accept-encoding")
            headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
            conn = getattr(local, "conn", None) or http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
            local.conn = conn
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except Exception:
                conn.close()
                local.conn = None
                raise
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = forward
    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
    """

/// Runs `body` with an apply engine whose requests go through a counting proxy to a fresh local API server, a
/// direct client (not counted) for setup and inspection, and the proxy's log.
func withCountedApplyEngine(_ body: @Sendable (ApplyEngine, KubeClient, RequestLog) async throws -> Void) async throws {
    try await LocalAPIServer.withRunning { url in
        try await withTemporaryDirectory("drift-proxy") { folder in
            let script = folder.appendingPathComponent("proxy.py")
            try countingProxy.write(to: script, atomically: true, encoding: .utf8)
            let log = RequestLog(file: folder.appendingPathComponent("requests.log"))
            _ = FileManager.default.createFile(atPath: log.file.path, contents: nil)
            let port = try TestCommand.freePort()
            let proxy = try ManagedProcess(
                name: "counting-proxy", executable: "/usr/bin/python3",
                arguments: [script.path, "\(url.port ?? 0)", "\(port)", log.file.path],
                logFile: folder.appendingPathComponent("proxy.out"))
            defer { proxy.stop() }
            try await TestCommand.waitForPorts([port], of: proxy)
            let logger = Logger(label: "test")
            try await KubeClient.withClient(config: KubeConfig(server: url.absoluteString), logger: logger) { direct in
                try await KubeClient.withClient(config: KubeConfig(server: "http://127.0.0.1:\(port)"), logger: logger) {
                    counted in
                    let engine = ApplyEngine(
                        client: counted, fieldManager: "petrel", logger: Logger(label: "apply"),
                        establishTimeout: .seconds(20), deletionTimeout: .seconds(20))
                    try await body(engine, direct, log)
                }
            }
        }
    }
}

/// The drift check with verified objects (``ApplyEngine/validateAndApply(_:options:verified:)``): objects unchanged
/// on both sides since their last verification cost no dry-run; everything else takes the dry-run path.
@Suite("Apply engine drift check: no dry-run for objects unchanged since verified")
struct ApplyDriftCheckTests {
    static let owner = ["kustomize.petrel.dev/name": "apps", "kustomize.petrel.dev/namespace": "petrel-system"]
    static let serviceAccounts = GroupVersionResource(group: "", version: "v1", resource: "serviceaccounts")

    /// 20 objects as a small app set: 5 ConfigMaps, 5 Deployments, 5 Services, 4 ServiceAccounts, 1 Namespace
    /// (cluster-scoped and alone of its kind: read with a GET, not a LIST).
    static func appSet(configValue: String = "v") -> [JSONValue] {
        var set: [JSONValue] = [Manifests.namespace("team-a")]
        for index in 0..<5 {
            set.append(Manifests.configMap("cm-\(index)", data: ["k": .string(configValue)]))
            set.append(Manifests.deployment("web-\(index)"))
            set.append(Manifests.service("web-\(index)", clusterIP: "10.0.1.\(index + 10)"))
            if index < 4 {
                set.append([
                    "apiVersion": "v1", "kind": "ServiceAccount",
                    "metadata": ["name": .string("sa-\(index)"), "namespace": "default"],
                ])
            }
        }
        return set
    }

    @Test("a steady-state drift check of 20 objects makes no dry-run and no write, only the LISTs and one GET")
    func steadyStateNoDryRun() async throws {
        try await withCountedApplyEngine { engine, client, log in
            let options = ApplyOptions(labels: Self.owner)
            let first = try await engine.validateAndApply(Self.appSet(), options: options, verified: .empty)
            #expect(first.changeSet.count == 20)
            #expect(first.changeSet.allSatisfy { $0.action == .created })
            #expect(first.verified.objects.count == 20, "every written object is verified from the apply response")
            #expect(first.reused == 0)

            // Before: the plain drift check dry-runs every object.
            var mark = log.lines.count
            let plain = try await engine.validateAndApply(Self.appSet(), options: options)
            let plainRequests = log.since(mark)
            #expect(plain.allSatisfy { $0.action == .unchanged })
            #expect(RequestLog.dryRuns(plainRequests).count == 20)
            #expect(RequestLog.writes(plainRequests).isEmpty)

            // After: with the verified set, no dry-run at all.
            mark = log.lines.count
            let second = try await engine.validateAndApply(Self.appSet(), options: options, verified: first.verified)
            let requests = log.since(mark)
            #expect(second.changeSet.map(\.description) == plain.map(\.description))
            #expect(second.reused == 20)
            #expect(RequestLog.dryRuns(requests).isEmpty, "\(requests)")
            #expect(RequestLog.writes(requests).isEmpty, "\(requests)")
            // 4 owner-label LISTs (ConfigMaps, Deployments, Services, ServiceAccounts) and a GET of the Namespace.
            #expect(requests.filter { $0.contains("labelSelector=") }.count == 4, "\(requests)")
            #expect(requests.count == 5, "\(requests)")
            #expect(second.verified == first.verified)
            print("drift check of 20 objects: \(plainRequests.count) requests without verified objects, "
                + "\(requests.count) with them")

            // A third check trusts the set the second returned, within its maximum age.
            mark = log.lines.count
            let third = try await engine.validateAndApply(
                Self.appSet(), options: options, verified: second.verified, maxAge: .seconds(3600))
            #expect(third.reused == 20)
            #expect(RequestLog.dryRuns(log.since(mark)).isEmpty)

            // Verifications older than the maximum age are dry-run (and verified anew) though nothing changed.
            mark = log.lines.count
            let aged = try await engine.validateAndApply(
                Self.appSet(), options: options, verified: third.verified, maxAge: .zero)
            #expect(aged.reused == 0)
            #expect(RequestLog.dryRuns(log.since(mark)).count == 20)
            #expect(aged.changeSet.allSatisfy { $0.action == .unchanged })
            #expect(aged.verified.objects.count == 20)
            #expect(aged.verified.objects.values.allSatisfy { fresh in
                third.verified.objects.values.allSatisfy { fresh.verifiedAt > $0.verifiedAt }
            })
            _ = client
        }
    }

    @Test("a hand edit between two checks: only that object is dry-run and applied, and it is restored")
    func handEditRestored() async throws {
        try await withCountedApplyEngine { engine, client, log in
            let options = ApplyOptions(labels: Self.owner)
            let first = try await engine.validateAndApply(Self.appSet(), options: options, verified: .empty)
            _ = try await client.patch(
                Manifests.configMaps, namespace: "default", name: "cm-3", .merge(["data": ["k": "edited"]]),
                options: QueryOptions(fieldManager: "kubectl-edit"))

            var mark = log.lines.count
            let second = try await engine.validateAndApply(Self.appSet(), options: options, verified: first.verified)
            let requests = log.since(mark)
            #expect(second.changeSet.filter { $0.action != .unchanged }.map(\.description) == [
                "ConfigMap/default/cm-3 configured"
            ])
            #expect(second.reused == 19)
            #expect(RequestLog.dryRuns(requests).count == 1)
            #expect(RequestLog.dryRuns(requests).first?.contains("/configmaps/cm-3?") == true, "\(requests)")
            #expect(RequestLog.writes(requests).allSatisfy { $0.contains("/configmaps/cm-3") }, "\(requests)")
            #expect(!RequestLog.writes(requests).isEmpty)
            let restored = try await client.get(Manifests.configMaps, namespace: "default", name: "cm-3")
            #expect(restored["data"] == ["k": "v"])
            #expect(second.verified.objects.count == 20)

            // The restore is verified from the apply response: the next check is free again.
            mark = log.lines.count
            let third = try await engine.validateAndApply(Self.appSet(), options: options, verified: second.verified)
            #expect(third.reused == 20)
            #expect(RequestLog.dryRuns(log.since(mark)).isEmpty)
        }
    }

    @Test("a deleted object is recreated and a recreated one (new uid) is dry-run")
    func deletedAndRecreated() async throws {
        try await withCountedApplyEngine { engine, client, log in
            let options = ApplyOptions(labels: Self.owner)
            let first = try await engine.validateAndApply(Self.appSet(), options: options, verified: .empty)
            _ = try await client.delete(Manifests.configMaps, namespace: "default", name: "cm-2")
            _ = try await client.delete(Manifests.configMaps, namespace: "default", name: "cm-4")
            // cm-4 comes back from someone else with the same content and labels: a new uid.
            var recreated = Manifests.configMap("cm-4")
            recreated.kube.labels = Self.owner
            _ = try await client.apply(Manifests.configMaps, namespace: "default", recreated, fieldManager: "someone")

            let mark = log.lines.count
            let second = try await engine.validateAndApply(Self.appSet(), options: options, verified: first.verified)
            let requests = log.since(mark)
            #expect(second.changeSet.filter { $0.action == .created }.map(\.description) == ["ConfigMap/default/cm-2 created"])
            #expect(second.reused == 18)
            let dryRuns = RequestLog.dryRuns(requests)
            #expect(dryRuns.count == 2, "\(requests)")
            #expect(dryRuns.contains { $0.contains("/configmaps/cm-2?") })
            #expect(dryRuns.contains { $0.contains("/configmaps/cm-4?") })
            #expect(try await client.getIfPresent(Manifests.configMaps, namespace: "default", name: "cm-2") != nil)
            #expect(second.verified.objects.count == 20)
        }
    }

    @Test("a changed manifest is dry-run then applied; a set verified with another force setting is ignored")
    func changedManifestAndContext() async throws {
        try await withCountedApplyEngine { engine, client, log in
            let options = ApplyOptions(labels: Self.owner)
            let first = try await engine.validateAndApply(Self.appSet(), options: options, verified: .empty)

            var set = Self.appSet()
            let index = try #require(set.firstIndex { $0.kube.name == "cm-1" })
            set[index] = Manifests.configMap("cm-1", data: ["k": "changed"])
            var mark = log.lines.count
            let second = try await engine.validateAndApply(set, options: options, verified: first.verified)
            var requests = log.since(mark)
            #expect(second.changeSet.filter { $0.action != .unchanged }.map(\.description) == [
                "ConfigMap/default/cm-1 configured"
            ])
            #expect(RequestLog.dryRuns(requests).count == 1)
            #expect(RequestLog.dryRuns(requests).first?.contains("/configmaps/cm-1?") == true)
            #expect(try await client.get(Manifests.configMaps, namespace: "default", name: "cm-1")["data"] == ["k": "changed"])

            // spec.force changed: what was verified without it is not trusted.
            mark = log.lines.count
            let forced = try await engine.validateAndApply(
                set, options: ApplyOptions(force: true, labels: Self.owner), verified: second.verified)
            requests = log.since(mark)
            #expect(forced.reused == 0)
            #expect(RequestLog.dryRuns(requests).count == 20)
            #expect(forced.changeSet.allSatisfy { $0.action == .unchanged })
        }
    }

    @Test("objects with an ssa policy are always dry-run; an invalid object in the set still writes nothing")
    func policiesAndValidation() async throws {
        try await withCountedApplyEngine { engine, client, log in
            let options = ApplyOptions(labels: Self.owner)
            var set = Self.appSet()
            set.append(Manifests.configMap("merged", annotations: ["kustomize.petrel.dev/ssa": "Merge"]))
            let first = try await engine.validateAndApply(set, options: options, verified: .empty)
            var mark = log.lines.count
            let second = try await engine.validateAndApply(set, options: options, verified: first.verified)
            #expect(second.reused == 20)
            #expect(RequestLog.dryRuns(log.since(mark)).map { $0.contains("/configmaps/merged?") } == [true])

            // One changed object is invalid: it is dry-run, fails, and nothing of the set is written, though the
            // other changed object's dry-run passed.
            var broken = set
            let cm = try #require(broken.firstIndex { $0.kube.name == "cm-0" })
            broken[cm] = Manifests.configMap("cm-0", data: ["k": "new"])
            let web = try #require(broken.firstIndex { $0.kube.name == "web-2" && $0["kind"] == "Deployment" })
            broken[web] = Manifests.deployment("web-2", replicas: "two")
            mark = log.lines.count
            let error = await #expect(throws: ApplyError.self) {
                try await engine.validateAndApply(broken, options: options, verified: second.verified)
            }
            #expect(error?.message.contains("web-2") == true)
            #expect(RequestLog.writes(log.since(mark)).isEmpty, "\(log.since(mark))")
            #expect(try await client.get(Manifests.configMaps, namespace: "default", name: "cm-0")["data"] == ["k": "v"])
        }
    }

    @Test("a status-only update by another controller changes the resourceVersion: dry-run, found unchanged")
    func statusUpdate() async throws {
        try await withCountedApplyEngine { engine, client, log in
            let options = ApplyOptions(labels: Self.owner)
            let first = try await engine.validateAndApply(Self.appSet(), options: options, verified: .empty)
            _ = try await client.patchStatus(
                Manifests.deployments, namespace: "default", name: "web-1", .merge(["status": ["observedGeneration": 1]]))
            let mark = log.lines.count
            let second = try await engine.validateAndApply(Self.appSet(), options: options, verified: first.verified)
            let requests = log.since(mark)
            #expect(second.changeSet.allSatisfy { $0.action == .unchanged })
            #expect(second.reused == 19)
            #expect(RequestLog.dryRuns(requests).map { $0.contains("/deployments/web-1?") } == [true], "\(requests)")
            #expect(RequestLog.writes(requests).isEmpty)
            #expect(second.verified.objects.count == 20, "re-verified from the dry-run against the new version")
        }
    }

    @Test("a CRD and its resources: unchanged ones need no dry-run; a written CRD makes the later stages dry-run")
    func crdStage() async throws {
        try await withCountedApplyEngine { engine, client, log in
            let options = ApplyOptions(labels: Self.owner)
            let set = [
                Manifests.widget("a", namespace: "shop", size: 1), Manifests.widget("b", namespace: "shop", size: 2),
                Manifests.widgetCRD, Manifests.namespace("shop"), Manifests.configMap("cfg", namespace: "shop"),
            ]
            let first = try await engine.validateAndApply(set, options: options, verified: .empty)
            #expect(first.changeSet.allSatisfy { $0.action == .created })
            #expect(first.verified.objects.count == 5)

            var mark = log.lines.count
            let second = try await engine.validateAndApply(set, options: options, verified: first.verified)
            #expect(second.changeSet.allSatisfy { $0.action == .unchanged })
            #expect(second.reused == 5)
            #expect(RequestLog.dryRuns(log.since(mark)).isEmpty, "\(log.since(mark))")
            #expect(RequestLog.writes(log.since(mark)).isEmpty)

            // The CRD changes (a new optional property): it is written, so the Widgets and the ConfigMap of the
            // later stage are dry-run again, though their manifests and live versions did not change.
            var version = try #require(Manifests.widgetCRD[path: ["spec", "versions"]]?.arrayValue?.first)
            version.set(
                path: ["schema", "openAPIV3Schema", "properties", "spec", "properties", "color"], to: ["type": "string"])
            var changedCRD = Manifests.widgetCRD
            changedCRD.set(path: ["spec", "versions"], to: [version])
            var changed = set
            changed[2] = changedCRD
            mark = log.lines.count
            let third = try await engine.validateAndApply(changed, options: options, verified: second.verified)
            let dryRuns = RequestLog.dryRuns(log.since(mark))
            #expect(third.changeSet.filter { $0.action != .unchanged }.map(\.description) == [
                "CustomResourceDefinition/widgets.example.com configured"
            ])
            #expect(dryRuns.contains { $0.contains("/customresourcedefinitions/widgets.example.com?") }, "\(dryRuns)")
            #expect(dryRuns.contains { $0.contains("/widgets/a?") } && dryRuns.contains { $0.contains("/widgets/b?") })
            #expect(dryRuns.contains { $0.contains("/configmaps/cfg?") })
            #expect(third.verified.objects.count == 5)
            _ = client
        }
    }

    @Test("the verification context names the field manager, the impersonated identity and force")
    func verificationContext() async throws {
        try await withApplyEngine { engine, client in
            let plain = engine.verificationContext(ApplyOptions())
            let tenant = engine.using(client.impersonating(.serviceAccount(namespace: "team-a", name: "deployer")))
            let other = engine.using(client.impersonating(.serviceAccount(namespace: "team-a", name: "other")))
            #expect(tenant.verificationContext(ApplyOptions()) != plain)
            #expect(tenant.verificationContext(ApplyOptions()) != other.verificationContext(ApplyOptions()))
            #expect(engine.verificationContext(ApplyOptions(force: true)) != plain)
            #expect(engine.verificationContext(ApplyOptions(labels: ["a": "b"])) == plain, "labels are in the digest")
        }
    }
}
