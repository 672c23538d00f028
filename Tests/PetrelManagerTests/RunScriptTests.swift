import Foundation
import KubeClient
import KubeCore
import LocalAPIServer
import PetrelTesting
import Testing

/// `make run` with `KUBECONFIG` set (`scripts/run.sh`) against a cluster where Petrel already runs: the local
/// API server stands in for the cluster, a fresh Lease `petrel-controller` for the installed controller.
@Suite("make run against a cluster (scripts/run.sh with KUBECONFIG)", .serialized)
struct RunScriptTests {
    static let script = TestEnvironment.packageRoot.appendingPathComponent("scripts/run.sh").path

    /// The environment of a run: the cluster's kubeconfig, prebuilt binaries, free loopback ports, `extra`.
    static func environment(kubeconfig: String, extra: [String: String] = [:]) throws -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["KUBECONFIG"] = kubeconfig
        environment["PETREL_RUN_SKIP_BUILD"] = "1"
        environment["PETREL_STORAGE_PORT"] = "\(try TestCommand.freePort())"
        environment["PETREL_METRICS_ADDR"] = "127.0.0.1:0"
        environment["PETREL_HEALTH_ADDR"] = "127.0.0.1:0"
        environment.merge(extra) { $1 }
        return environment
    }

    static func gitRepository(_ name: String, url: String, labels: String) -> String {
        """
        apiVersion: source.petrel.dev/v1
        kind: GitRepository
        metadata: {name: \(name), namespace: team, labels: {\(labels)}}
        spec: {url: "\(url)", interval: 1h, ref: {branch: main}}
        """
    }

    @Test(
        "it takes its own Lease and reconciles only the objects labelled for it; the installed controller's are untouched",
        .enabled(if: TestEnvironment.controllerBinary != nil, "needs the built petrel-controller (swift build)"),
        .timeLimit(.minutes(3)))
    func ownLeaseAndLabelledObjectsOnly() async throws {
        try await withTemporaryDirectory("petrel-run") { tmp in
            let repo = try GitTestRepository(root: tmp.appendingPathComponent("git"), name: "app")
            let head = try repo.commit("first", files: ["deploy/cm.yaml": "apiVersion: v1\nkind: ConfigMap\n"])
            try await withGitDaemon(root: tmp.appendingPathComponent("git")) { daemon in
                try await LocalAPIServer.withRunning { url in
                    let kubeconfig = tmp.appendingPathComponent("kubeconfig").path
                    try LocalAPIServer.writeKubeconfig(for: url, to: kubeconfig)
                    try await KubeClient.withClient(
                        config: KubeConfig(server: url.absoluteString), logger: TestEnvironment.logger
                    ) { client in
                    let kubectl = { @Sendable (arguments: [String]) async throws -> String in
                        try await TestCommand.runDetached("/usr/bin/kubectl", ["--kubeconfig", kubeconfig] + arguments)
                    }
                    _ = try await kubectl(["apply", "-f", TestEnvironment.packageRoot.appendingPathComponent("crds").path])
                    _ = try await kubectl(["create", "namespace", "petrel-system"])
                    _ = try await kubectl(["create", "namespace", "team"])
                    // The installed controller holds its Lease; it stops renewing it, so any other candidate with
                    // its id would take it over 3 s after first seeing it.
                    let now = "2026-01-01T00:00:00.000000Z"
                    _ = try await client.create(
                        TestEnvironment.leases, namespace: "petrel-system",
                        [
                            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                            "metadata": ["name": "petrel-controller", "namespace": "petrel-system"],
                            "spec": [
                                "holderIdentity": "petrel-7d9c-production", "leaseDurationSeconds": 3,
                                "acquireTime": .string(now), "renewTime": .string(now),
                            ],
                        ])
                    let objects = tmp.appendingPathComponent("objects.yaml")
                    let source = daemon.url(repo.relativePath)
                    try (Self.gitRepository("mine", url: source, labels: "petrel.dev/run: test-run") + "\n---\n"
                        + Self.gitRepository("theirs", url: source, labels: "app: x"))
                        .write(to: objects, atomically: true, encoding: .utf8)
                    _ = try await kubectl(["apply", "-f", objects.path])

                    let environment = try Self.environment(kubeconfig: kubeconfig, extra: ["PETREL_RUN_ID": "test-run"])
                    let run = try ManagedProcess(
                        name: "make-run", executable: "/bin/bash", arguments: [Self.script],
                        logFile: tmp.appendingPathComponent("run.log"), environment: environment)
                    defer { run.stop() }
                    let revision = { @Sendable (name: String) async -> String in
                        (try? await kubectl([
                            "get", "gitrepository", name, "-n", "team", "-o", "jsonpath={.status.artifact.revision}",
                        ])) ?? ""
                    }
                    let reconciled = await eventually(.seconds(60)) { await revision("mine").contains(head) }
                    #expect(reconciled, "the labelled GitRepository is reconciled; log:\n\(run.log)")
                    let artifactURL = try await kubectl([
                        "get", "gitrepository", "mine", "-n", "team", "-o", "jsonpath={.status.artifact.url}",
                    ])
                    #expect(artifactURL.hasPrefix("http://127.0.0.1:\(environment["PETREL_STORAGE_PORT"] ?? "")/"))

                    // Leave the run time to (wrongly) reconcile the other object too, as a run sharing the installed
                    // controller's Lease and watching everything would.
                    try await Task.sleep(for: .seconds(4))
                    let theirs = try await kubectl(["get", "gitrepository", "theirs", "-n", "team", "-o", "json"])
                    #expect(!theirs.contains("finalizers.petrel.dev"), "\(theirs)")
                    #expect(await revision("theirs").isEmpty, "no status written into the installed controller's object")
                    let production = try await client.get(
                        TestEnvironment.leases, namespace: "petrel-system", name: "petrel-controller")
                    #expect(production[path: ["spec", "holderIdentity"]]?.stringValue == "petrel-7d9c-production")
                    let own = try await client.get(TestEnvironment.leases, namespace: "default", name: "test-run")
                    let holder = own[path: ["spec", "holderIdentity"]]?.stringValue ?? ""
                    #expect(holder.count > 0, "the run holds its own Lease")
                    }
                }
            }
        }
    }

    @Test("an empty selector is refused unless PETREL_RUN_ALL is set")
    func emptySelectorRefused() async throws {
        try await withTemporaryDirectory("petrel-run") { tmp in
            let kubeconfig = tmp.appendingPathComponent("kubeconfig").path
            try LocalAPIServer.writeKubeconfig(for: try #require(URL(string: "http://127.0.0.1:1")), to: kubeconfig)
            let output = try await TestCommand.output(
                "/bin/bash", [Self.script],
                environment: try Self.environment(kubeconfig: kubeconfig, extra: ["PETREL_RUN_SELECTOR": ""]))
            #expect(output.status == 2)
            #expect(output.stderr.contains("PETREL_RUN_ALL=1"), "\(output.stderr)")
        }
    }
}
