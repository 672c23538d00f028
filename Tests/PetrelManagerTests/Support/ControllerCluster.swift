import Foundation
import LocalAPIServer
import PetrelAPI
import PetrelTesting
import Testing

/// The built `petrel-controller` (debug logging) against a local API server over HTTP, driven with `kubectl`, as a
/// user drives a cluster: for tests of hostile input through the interfaces where it arrives.
struct ControllerCluster: Sendable {
    let tmp: URL
    let kubeconfig: String
    let healthPort: Int
    let controller: ManagedProcess

    /// The repository's CRDs as the API server of an older release holds them: Flux's duration patterns, no
    /// bounds (Helm never upgrades CRDs, so a cluster can keep them after Petrel is upgraded).
    static func lenientCRDs() throws -> [String] {
        try crdTexts().map { text in
            text.replacingOccurrences(of: "'\(GoDuration.crdPattern)'", with: #"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"#)
                .replacingOccurrences(
                    of: "'\(GoDuration.crdPatternWithoutHours)'", with: #"^([0-9]+(\.[0-9]+)?(ms|s|m))+$"#
                )
                .replacingOccurrences(of: "\n                  maxLength: \(GoDuration.crdMaxLength)\n", with: "\n")
        }
    }

    /// The CRDs in the repository's `crds/`.
    static func crdTexts() throws -> [String] {
        let folder = TestEnvironment.packageRoot.appendingPathComponent("crds")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().filter {
            $0.hasSuffix(".yaml")
        }
        .map { try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8) }
    }

    /// Starts a local API server holding `crds` and the namespace `team`, then the controller; runs `body`.
    static func run(
        crds: [String], arguments: [String] = [], _ body: @Sendable (ControllerCluster) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory("petrel-hostile") { tmp in
            try await LocalAPIServer.withRunning { url in
                let kubeconfig = tmp.appendingPathComponent("kubeconfig").path
                try LocalAPIServer.writeKubeconfig(for: url, to: kubeconfig)
                let storagePort = try TestCommand.freePort()
                let healthPort = try TestCommand.freePort()
                let controller = try ManagedProcess(
                    name: "petrel-controller", executable: try #require(TestEnvironment.controllerBinary),
                    arguments: [
                        "--kubeconfig", kubeconfig, "--no-leader-elect", "--log-encoding", "json", "--log-level",
                        "debug",
                        "--storage-path", tmp.appendingPathComponent("storage").path,
                        "--storage-addr", "127.0.0.1:\(storagePort)", "--storage-adv-addr", "127.0.0.1:\(storagePort)",
                        "--metrics-addr", "127.0.0.1:\(try TestCommand.freePort())", "--health-addr",
                        "127.0.0.1:\(healthPort)",
                    ] + arguments,
                    logFile: tmp.appendingPathComponent("controller.log"))
                defer { controller.stop() }
                let cluster = ControllerCluster(
                    tmp: tmp, kubeconfig: kubeconfig, healthPort: healthPort, controller: controller)
                for (index, crd) in crds.enumerated() {
                    try await cluster.apply(crd, name: "crd-\(index)")
                }
                try await cluster.kubectlChecked(["create", "namespace", "team"])
                try await body(cluster)
            }
        }
    }

    /// `kubectl` with this cluster's kubeconfig; never throws for a non-zero exit.
    func kubectl(_ arguments: [String]) async throws -> ProcessOutput {
        try await TestCommand.output("/usr/bin/kubectl", ["--kubeconfig", kubeconfig] + arguments, in: tmp)
    }

    /// `kubectl` that must succeed; returns its standard output.
    @discardableResult
    func kubectlChecked(_ arguments: [String]) async throws -> String {
        let result = try await kubectl(arguments)
        guard result.status == 0 else {
            throw ClusterError(description: "kubectl \(arguments.joined(separator: " ")): \(result.stderr)")
        }
        return result.stdout
    }

    /// `kubectl apply -f` of `manifest` (YAML); returns the result.
    @discardableResult
    func apply(_ manifest: String, name: String = UUID().uuidString, check: Bool = true) async throws -> ProcessOutput {
        let file = tmp.appendingPathComponent("\(name).yaml")
        try manifest.write(to: file, atomically: true, encoding: .utf8)
        let result = try await kubectl(["apply", "-f", file.path])
        if check && result.status != 0 {
            throw ClusterError(description: "kubectl apply \(name): \(result.stderr)")
        }
        return result
    }

    /// The condition `type` of `resource/name` in `team` as `status|reason|message`, or "" when absent.
    func condition(_ resource: String, _ name: String, _ type: String) async throws -> String {
        let path = "jsonpath={.status.conditions[?(@.type==\"\(type)\")]['status','reason','message']}"
        let result = try await kubectl(["get", resource, name, "-n", "team", "-o", path])
        return result.status == 0 ? result.stdout : ""
    }

    /// Waits until the condition `type` of `resource/name` has `status` and `reason`; returns its whole text.
    @discardableResult
    func waitForCondition(
        _ resource: String, _ name: String, _ type: String, status: String, reason: String,
        timeout: Duration = .seconds(60)
    ) async throws -> String {
        do {
            return try await eventually(
                "\(resource)/\(name) \(type)=\(status) \(reason)", timeout: timeout, poll: .milliseconds(200)
            ) {
                let text = try await condition(resource, name, type)
                return text.hasPrefix("\(status) \(reason) ") ? text : nil
            }
        } catch {
            let last = try await condition(resource, name, type)
            Issue.record("\(error); last: \(last)\ncontroller log tail:\n\(controller.log.suffix(4_000))")
            throw error
        }
    }

    /// Whether the controller still answers `/healthz`.
    func isHealthy() async throws -> Bool {
        let result = try await TestCommand.output(
            "/usr/bin/curl",
            ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "5", "http://127.0.0.1:\(healthPort)/healthz"])
        return result.stdout == "200"
    }

    /// Every Event in `team` as `type reason: message` lines.
    func events() async throws -> String {
        try await kubectlChecked([
            "get", "events", "-n", "team", "-o",
            "jsonpath={range .items[*]}{.type} {.reason}: {.message}{\"\\n\"}{end}",
        ])
    }
}

/// A failed `kubectl` command, with its error output.
struct ClusterError: Error, CustomStringConvertible {
    var description: String
}
