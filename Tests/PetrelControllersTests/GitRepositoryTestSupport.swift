import ControllerRuntime
import Foundation
import KubeClient
import KubeCore
import LocalAPIServer
import Logging
import PetrelAPI
import PetrelControllers
import PetrelTesting
import Synchronization
import Testing

/// The package root (three levels above this file).
let gitRepositoryPackageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// One event the controller recorded.
struct RecordedEvent: Sendable {
    var type: EventType
    var reason: String
    var message: String
    var name: String
}

/// An ``EventRecording`` that keeps every event for assertions.
final class RecordedEvents: EventRecording {
    private let events = Mutex<[RecordedEvent]>([])

    func record(_ type: EventType, reason: String, message: String, about object: JSONValue) async {
        let name = object[path: ["metadata", "name"]]?.stringValue ?? ""
        events.withLock { $0.append(RecordedEvent(type: type, reason: reason, message: message, name: name)) }
    }

    var all: [RecordedEvent] { events.withLock { $0 } }
}

/// A local API server with the GitRepository CRD, a fresh namespace and a running GitRepository controller.
struct GitRepositoryHarness: Sendable {
    let client: KubeClient
    let namespace: String
    let storage: URL
    let events: RecordedEvents
    let controller: Controller
    static let artifactBaseURL = "http://artifacts.test:9090"
    static let resource = GitRepository.groupVersionResource

    /// Creates a GitRepository.
    @discardableResult
    func create(_ name: String, spec: GitRepositorySpec) async throws -> GitRepository {
        let object = GitRepository(metadata: ObjectMeta(name: name, namespace: namespace), spec: spec)
        return try GitRepository(json: try await client.create(Self.resource, namespace: namespace, try object.json()))
    }

    /// Reads a GitRepository from the API server.
    func get(_ name: String) async throws -> GitRepository {
        try GitRepository(json: try await client.get(Self.resource, namespace: namespace, name: name))
    }

    /// Applies a JSON merge patch to a GitRepository.
    func patch(_ name: String, _ patch: JSONValue) async throws {
        _ = try await client.patch(Self.resource, namespace: namespace, name: name, .merge(patch))
    }

    /// Sets the requested-at annotation.
    func requestReconcile(_ name: String, token: String) async throws {
        try await patch(name, ["metadata": ["annotations": [WellKnown.reconcileRequestedAtAnnotation: .string(token)]]])
    }

    /// Polls the API server until `predicate` holds for the object.
    @discardableResult
    func wait(
        _ name: String, for description: String, timeout: Duration = .seconds(60),
        _ predicate: @escaping (GitRepository) -> Bool
    ) async throws -> GitRepository {
        var last: GitRepository?
        do {
            return try await eventually(description, timeout: timeout) {
                let object = try await get(name)
                last = object
                return predicate(object) ? object : nil
            }
        } catch {
            Issue.record("\(error); last status: \(String(describing: last?.status))")
            throw error
        }
    }

    /// Waits for Ready=True at the current generation.
    @discardableResult
    func waitReady(_ name: String, revision: String? = nil) async throws -> GitRepository {
        try await wait(name, for: "Ready=True" + (revision.map { " at \($0)" } ?? "")) { object in
            object.isReady && (revision == nil || object.status.artifact?.revision == revision)
        }
    }

    /// The absolute storage path of an artifact.
    func file(_ artifact: Artifact?) -> URL? {
        artifact.map { storage.appendingPathComponent($0.path) }
    }

    /// Reconciles counted by the controller's metrics so far (every outcome).
    var reconcileCount: Int { controller.metrics.snapshot.totals.values.reduce(0, +) }
}

/// `sha256:<hex>` of a file, computed by `sha256sum`.
func sha256Digest(of file: URL) throws -> String {
    let output = try TestCommand.run("/usr/bin/sha256sum", [file.path])
    return "sha256:" + (output.split(separator: " ").first.map(String.init) ?? "")
}

/// The entries of a `.tar.gz`, as `tar -tzf` lists them.
func tarEntries(_ file: URL) throws -> [String] {
    try TestCommand.run("/usr/bin/tar", ["-tzf", file.path]).split(separator: "\n").map(String.init)
}

/// Runs `body` against a local API server with the GitRepository CRD applied by kubectl, a random namespace and
/// the controller and informers running; everything is stopped afterwards.
func withGitRepositoryController(
    tmp: URL, requireSecretURLBinding: Bool = false,
    _ body: @escaping @Sendable (GitRepositoryHarness) async throws -> Void
) async throws {
    let logger = {
        var logger = Logger(label: "petrel.test.gitrepository")
        logger.logLevel = .warning
        return logger
    }()
    let storage = tmp.appendingPathComponent("storage")
    try await LocalAPIServer.withRunning(logger: Logger(label: "apiserver", factory: { _ in SwiftLogNoOpLogHandler() })) { url in
        let kubeconfig = tmp.appendingPathComponent("kubeconfig").path
        try LocalAPIServer.writeKubeconfig(for: url, to: kubeconfig)
        let crd = gitRepositoryPackageRoot.appendingPathComponent("crds/source.petrel.dev_gitrepositories.yaml").path
        try await TestCommand.runDetached("/usr/bin/kubectl", ["--kubeconfig", kubeconfig, "apply", "-f", crd])
        var failure: (any Error)?
        do {
            try await KubeClient.withClient(config: KubeConfig(server: url.absoluteString), logger: logger) { client in
                let namespace = "gitrepo-\(UUID().uuidString.prefix(8).lowercased())"
                _ = try await client.create(
                    GroupVersionResource(group: "", version: "v1", resource: "namespaces"),
                    ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(namespace)]])
                let informers = InformerFactory(client: client, logger: logger)
                let events = RecordedEvents()
                var options = GitRepositoryControllerOptions(
                    storagePath: storage.path, artifactBaseURL: GitRepositoryHarness.artifactBaseURL)
                options.requireSecretURLBinding = requireSecretURLBinding
                let controller = GitRepositoryController.make(
                    client: client, informers: informers, recorder: events, options: options, logger: logger)
                let harness = GitRepositoryHarness(
                    client: client, namespace: namespace, storage: storage, events: events, controller: controller)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { await informers.run() }
                    group.addTask { await controller.run() }
                    do {
                        try await body(harness)
                    } catch {
                        group.cancelAll()
                        throw error
                    }
                    group.cancelAll()
                }
            }
        } catch {
            failure = error
        }
        // Let the server see the closed watch connections before it is cancelled (a watch still streaming when
        // LocalAPIServer stops trips a NIOAsyncWriter assertion).
        try? await Task.sleep(for: .milliseconds(500))
        if let failure { throw failure }
    }
}

/// A spec following `branch` of `url` with a 1-hour interval unless given.
func gitSpec(_ url: String, branch: String = "main", interval: String = "1h") throws -> GitRepositorySpec {
    GitRepositorySpec(url: url, interval: try GoDuration(parsing: interval), ref: GitRepositoryRef(branch: branch))
}
