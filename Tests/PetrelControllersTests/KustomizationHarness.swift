import ControllerRuntime
import Foundation
import GitSource
import KubeClient
import KubeCore
import Kustomize
import LocalAPIServer
import Logging
import PetrelAPI
import PetrelTesting
import Synchronization
import Testing

@testable import PetrelControllers

/// Records Events in memory so tests can assert on them.
final class KustomizationEventLog: EventRecording {
    struct Entry: Sendable {
        var type: EventType
        var reason: String
        var message: String
        var object: String
    }

    private let entries = Mutex<[Entry]>([])

    func record(_ type: EventType, reason: String, message: String, about object: JSONValue) async {
        let name = object[path: ["metadata", "name"]]?.stringValue ?? ""
        entries.withLock { $0.append(Entry(type: type, reason: reason, message: message, object: name)) }
    }

    var all: [Entry] { entries.withLock { $0 } }
}

/// A running LocalAPIServer with Petrel's CRDs, a real HTTP server (`python3 -m http.server`) serving artifacts,
/// and the Kustomization controller.
struct KustomizationHarness {
    let client: KubeClient
    let namespace: String
    let served: URL
    /// The controller's informers: what it sees, as opposed to what the server holds.
    let informers: InformerFactory
    let baseURL: String
    let events: KustomizationEventLog
    /// The running controller (its queue and metrics).
    let controller: Controller

    static let configMaps = GroupVersionResource(group: "", version: "v1", resource: "configmaps")
    static let secrets = GroupVersionResource(group: "", version: "v1", resource: "secrets")

    /// Runs `body` with everything started, then stops it all.
    static func run(
        requeueDependency: Duration = .seconds(1), noCrossNamespaceRefs: Bool = false,
        defaultServiceAccount: String? = nil, buildTimeout: Duration = .seconds(30),
        recorder makeRecorder: (@Sendable (KubeClient, Logger) -> any EventRecording)? = nil,
        memo: AppliedSetMemo = AppliedSetMemo(), verifiedObjects: VerifiedObjectsMemo = VerifiedObjectsMemo(),
        _ body: @Sendable (KustomizationHarness) async throws -> Void
    ) async throws {
        let logger = Logger(label: "kustomization-test")
        try await LocalAPIServer.withRunning { url in
            try await KubeClient.withClient(config: KubeConfig(server: url.absoluteString), logger: logger) { client in
                try await withTemporaryDirectory("ks-artifacts") { served in
                    try await installCRDs(client)
                    let namespace = "ks-\(UUID().uuidString.prefix(8).lowercased())"
                    _ = try await client.create(
                        GroupVersionResource(group: "", version: "v1", resource: "namespaces"),
                        ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(namespace)]])
                    let port = try TestCommand.freePort()
                    let server = try ManagedProcess(
                        name: "http.server", executable: "/usr/bin/python3",
                        arguments: ["-m", "http.server", "--bind", "127.0.0.1", "\(port)", "--directory", served.path],
                        logFile: served.appendingPathComponent("http-server.log"))
                    defer { server.stop() }
                    try await TestCommand.waitForPorts([port], of: server)

                    let events = KustomizationEventLog()
                    let factory = InformerFactory(client: client, logger: logger)
                    var options = KustomizationControllerOptions()
                    options.requeueDependency = requeueDependency
                    options.noCrossNamespaceRefs = noCrossNamespaceRefs
                    options.defaultServiceAccount = defaultServiceAccount
                    let recorder = makeRecorder?(client, logger) ?? events
                    // Tests run intervals of a second to see drift checks quickly.
                    options.minimumInterval = .milliseconds(100)
                    options.buildTimeout = buildTimeout
                    let controller = KustomizationController.make(
                        client: client, informers: factory, recorder: recorder, options: options, logger: logger,
                        memo: memo, verifiedObjects: verifiedObjects)
                    let harness = KustomizationHarness(
                        client: client, namespace: namespace, served: served, informers: factory,
                        baseURL: "http://127.0.0.1:\(port)", events: events, controller: controller)
                    let running = Task {
                        await withDiscardingTaskGroup { group in
                            group.addTask { await factory.run() }
                            group.addTask { await controller.run() }
                        }
                    }
                    do {
                        try await body(harness)
                    } catch {
                        running.cancel()
                        await running.value
                        throw error
                    }
                    running.cancel()
                    await running.value
                }
            }
        }
    }

    /// Applies every CRD under the repository's `crds/`.
    static func installCRDs(_ client: KubeClient) async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let folder = root.appendingPathComponent("crds")
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        where name.hasSuffix(".yaml") {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            for document in try YAMLCodec.parseStream(text, file: name) {
                _ = try await client.apply(document, fieldManager: "test")
            }
        }
        // Discovery may have cached the groups before the CRDs existed.
        await client.discovery.invalidate()
    }

    /// Packs `files` into `<name>.tar.gz` under the served folder; returns the artifact describing it.
    func publish(_ files: [String: String], name: String, revision: String) throws -> Artifact {
        let tree = served.deletingLastPathComponent().appendingPathComponent("tree-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: tree) }
        for (path, text) in files {
            let file = tree.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: file, atomically: true, encoding: .utf8)
        }
        let archive = served.appendingPathComponent("\(name).tar.gz")
        let summary = try TarGzArchiver.archive(directory: tree, to: archive)
        return Artifact(
            path: "\(name).tar.gz", url: "\(baseURL)/\(name).tar.gz", revision: revision, digest: summary.digest,
            lastUpdateTime: .now(), size: Int64(summary.size))
    }

    /// Creates the GitRepository `name` (if needed) and sets its `status.artifact` through the status subresource.
    func setSource(_ name: String, artifact: Artifact) async throws {
        let resource = GitRepository.groupVersionResource
        let repository = GitRepository(
            metadata: ObjectMeta(name: name, namespace: namespace),
            spec: GitRepositorySpec(url: "https://example.invalid/repo.git", interval: .minutes(5)))
        let body = try repository.json()
        do {
            _ = try await client.create(resource, namespace: namespace, body)
        } catch let error as KubeClientError where error.isAlreadyExists {}
        let status = try JSONValueCoding.encode(GitRepositoryStatus(artifact: artifact))
        _ = try await client.patchStatus(resource, namespace: namespace, name: name, .merge(["status": status]))
    }

    /// Creates a Kustomization of `source` at `path`.
    func createKustomization(
        _ name: String, source: String, path: String = "./deploy",
        configure: (inout KustomizationSpec) -> Void = { _ in }
    ) async throws {
        var spec = KustomizationSpec(
            sourceRef: CrossNamespaceSourceReference(name: source), interval: .minutes(60), prune: true, path: path)
        spec.targetNamespace = namespace
        configure(&spec)
        let object = Kustomization(metadata: ObjectMeta(name: name, namespace: namespace), spec: spec)
        _ = try await client.create(Kustomization.groupVersionResource, namespace: namespace, try object.json())
    }

    /// The Kustomization `name` as stored, or nil.
    func kustomization(_ name: String) async throws -> Kustomization? {
        do {
            return try Kustomization(
                json: try await client.get(Kustomization.groupVersionResource, namespace: namespace, name: name))
        } catch let error as KubeClientError where error.isNotFound {
            return nil
        }
    }

    /// Merge-patches the Kustomization `name`.
    func patchKustomization(_ name: String, _ patch: JSONValue) async throws {
        _ = try await client.patch(Kustomization.groupVersionResource, namespace: namespace, name: name, .merge(patch))
    }

    /// The ConfigMap `name` in the test namespace, or nil.
    func configMap(_ name: String) async throws -> JSONValue? {
        do {
            return try await client.get(Self.configMaps, namespace: namespace, name: name)
        } catch let error as KubeClientError where error.isNotFound {
            return nil
        }
    }

    /// Waits until the controller's cache holds the Kustomization `name` in a state where `condition` holds (e.g.
    /// a spec change the next reconcile must see).
    func waitUntilCached(_ name: String, _ what: String, _ condition: @escaping (Kustomization) -> Bool) async throws {
        let store = informers.informer(for: Kustomization.groupVersionResource).store
        let key = ObjectKey(namespace: namespace, name: name)
        try await eventually("the controller's cache to see \(what)") {
            guard let json = store.get(key), let object = try? Kustomization(json: json) else { return false }
            return condition(object)
        }
    }

    /// Polls `condition` every 100 ms until it holds or 60 s pass (a bound that only fails on a hang, also on a
    /// loaded machine); returns whether it held.
    @discardableResult
    func eventually(
        _ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out waiting for \(what)")
        return false
    }

    /// Waits until the Kustomization's Ready condition has `status` and its reason is `reason`; returns it.
    @discardableResult
    func waitForReady(
        _ name: String, status: ConditionStatus, reason: String, messageContains fragment: String = "",
        timeout: Duration = .seconds(20)
    ) async throws -> Kustomization? {
        var last: Kustomization?
        let held = try await eventually("\(name) Ready=\(status.rawValue) \(reason) '\(fragment)'", timeout: timeout) {
            last = try await kustomization(name)
            guard let ready = last?.status.conditions.find(ConditionType.ready) else { return false }
            return ready.status == status && ready.reason == reason
                && (fragment.isEmpty || ready.message.contains(fragment))
        }
        if !held { Issue.record("last status: \(String(describing: last?.status))") }
        return last
    }

    /// A ConfigMap manifest.
    static func configMapYAML(_ name: String, _ data: [String: String]) -> String {
        let lines = data.sorted { $0.key < $1.key }.map { "  \($0.key): \"\($0.value)\"" }.joined(separator: "\n")
        return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \(name)\ndata:\n\(lines)\n"
    }

    /// A fake commit revision, `main@sha1:<40 hex>`.
    static func revision(_ digit: Character) -> String { "main@sha1:" + String(repeating: digit, count: 40) }
}
