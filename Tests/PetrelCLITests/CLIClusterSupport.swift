import Foundation
import PetrelTesting
import KubeClient
import KubeCore
import LocalAPIServer
import Logging
import Testing

/// A LocalAPIServer with the repo's CRDs and examples applied, a kubeconfig whose context namespace is
/// `petrel-system`, and a KubeClient the tests use to play the controller.
struct CLICluster: Sendable {
    let url: URL
    let directory: URL
    let client: KubeClient
    var kubeconfig: String { directory.appendingPathComponent("kubeconfig").path }

    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let gitRepositories = GroupVersionResource(group: "source.petrel.dev", version: "v1", resource: "gitrepositories")
    static let kustomizations = GroupVersionResource(group: "kustomize.petrel.dev", version: "v1", resource: "kustomizations")
    static let annotation = "reconcile.petrel.dev/requestedAt"

    /// Starts a server, applies `crds/` and `examples/` with kubectl, runs `body`, then cleans up.
    static func with<T: Sendable>(_ body: @Sendable (CLICluster) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let logger = {
            var logger = Logger(label: "petrel.cli.tests")
            logger.logLevel = .critical
            return logger
        }()
        return try await LocalAPIServer.withRunning(logger: logger) { url in
            let path = directory.appendingPathComponent("kubeconfig").path
            try LocalAPIServer.writeKubeconfig(for: url, to: path, namespace: "petrel-system")
            let config = try KubeConfig.load(paths: [path])
            return try await KubeClient.withClient(config: config, logger: logger) { client in
                let cluster = CLICluster(url: url, directory: directory, client: client)
                try await cluster.kubectlOK(["create", "namespace", "petrel-system"])
                try await cluster.kubectlOK(["apply", "--server-side", "-f", repositoryRoot.appendingPathComponent("crds").path])
                for example in ["gitrepository.yaml", "kustomization.yaml"] {
                    try await cluster.kubectlOK([
                        "apply", "--server-side", "-f", repositoryRoot.appendingPathComponent("examples/\(example)").path,
                    ])
                }
                return try await body(cluster)
            }
        }
    }

    /// The result of a program run.
    typealias Output = ProcessOutput

    /// Runs the built `petrel` with this cluster's kubeconfig in KUBECONFIG.
    func petrel(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> Output {
        try await CLICluster.run(petrelBinary, arguments, environment: environment().merging(extra) { $1 }, in: directory)
    }

    func kubectlOK(_ arguments: [String]) async throws {
        let output = try await CLICluster.run(kubectl, arguments, environment: environment(), in: directory)
        try #require(output.status == 0, "kubectl \(arguments.joined(separator: " ")): \(output.stderr)")
    }

    func environment() -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["KUBECONFIG"] = kubeconfig
        environment["HOME"] = directory.path
        environment["KUBECACHEDIR"] = directory.appendingPathComponent("cache").path
        environment.removeValue(forKey: "NO_COLOR")
        return environment
    }

    /// Runs a program to completion with output captured in files (no pipe can fill up), off the cooperative pool.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String], in directory: URL)
        async throws -> Output
    {
        try await TestCommand.output(executable, arguments, environment: environment, in: directory)
    }

    // MARK: - Playing the controller

    /// A Ready condition as a controller writes it.
    static func readyCondition(_ ready: Bool, reason: String, message: String, generation: Int64) -> JSONValue {
        [
            "type": "Ready", "status": .string(ready ? "True" : "False"), "observedGeneration": .integer(generation),
            "lastTransitionTime": "2026-01-01T00:00:00Z", "reason": .string(reason), "message": .string(message),
        ]
    }

    /// Writes a status through the status subresource.
    func setStatus(_ resource: GroupVersionResource, name: String, namespace: String = "petrel-system", _ status: JSONValue)
        async throws
    {
        _ = try await client.patchStatus(resource, namespace: namespace, name: name, .merge(["status": status]))
    }

    /// Waits (up to `seconds`) for a reconcile request on the object, then answers it as a controller would:
    /// `lastHandledReconcileAt` = the request, and Ready with `ready`/`message`. Returns the requested-at value.
    func answerReconcile(
        _ resource: GroupVersionResource, name: String, namespace: String = "petrel-system", ready: Bool,
        message: String, extraStatus: JSONValue = [:], seconds: Double = 60
    ) async throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let object = try await client.get(resource, namespace: namespace, name: name)
            if let requested = object.kube.annotations[Self.annotation],
                requested != object[path: ["status", "lastHandledReconcileAt"]]?.stringValue
            {
                let generation = object.kube.generation ?? 1
                var status: JSONValue = [
                    "observedGeneration": .integer(generation), "lastHandledReconcileAt": .string(requested),
                    "conditions": [
                        Self.readyCondition(
                            ready, reason: ready ? "Succeeded" : "ReconciliationFailed", message: message,
                            generation: generation)
                    ],
                ]
                for (key, value) in extraStatus.objectValue ?? JSONObject() { status[key] = value }
                try await setStatus(resource, name: name, namespace: namespace, status)
                return requested
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("no reconcile request arrived on \(resource.resource)/\(name) within \(seconds)s")
        return ""
    }
}

/// Whether a text holds ANSI escape sequences.
func hasEscapeCodes(_ text: String) -> Bool { text.contains("\u{1B}[") }
