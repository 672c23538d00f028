import Foundation
import KubeCore
import LocalAPIServer
import Logging
import PetrelTesting
import Testing

/// The chart's tenant mode on a real authorizer: the rendered RBAC applied to a LocalAPIServer that authenticates
/// the controller as the chart's ServiceAccount (bearer token over HTTPS) and authorizes it with RBAC, and the
/// built `petrel-controller` running with the rendered Deployment's flags.
@Suite("Helm chart charts/petrel: tenant mode end to end", .enabled(if: Helm.available, Helm.skipReason))
struct ChartTenancyTests {
    static let controllerUser = "system:serviceaccount:petrel-system:petrel"

    static var controllerBinary: String? {
        let path = Helm.repositoryRoot.appendingPathComponent(".build/debug/petrel-controller").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// The rendered manager args with the addresses and paths of this machine instead of the pod's.
    static func localArgs(_ rendered: [String], storage: URL, storagePort: Int, kubeconfig: String) -> [String] {
        let podOnly = ["--storage-path", "--storage-addr", "--storage-adv-addr", "--metrics-addr", "--health-addr"]
        return rendered.filter { arg in !podOnly.contains { arg.hasPrefix($0 + "=") } } + [
            "--kubeconfig", kubeconfig, "--storage-path", storage.path, "--storage-addr", "127.0.0.1:\(storagePort)",
            "--storage-adv-addr", "127.0.0.1:\(storagePort)", "--metrics-addr", "127.0.0.1:0",
            "--health-addr", "127.0.0.1:0", "--log-encoding", "console",
        ]
    }

    static func tenantObjects(url: String) -> String {
        """
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: default, namespace: team-a}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: team-a-configmaps, namespace: team-a}
        rules:
        - apiGroups: [""]
          resources: [configmaps]
          verbs: [get, list, watch, create, update, patch, delete]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: team-a-configmaps, namespace: team-a}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: team-a-configmaps}
        subjects:
        - {kind: ServiceAccount, name: default, namespace: team-a}
        ---
        apiVersion: source.petrel.dev/v1
        kind: GitRepository
        metadata: {name: apps, namespace: team-a}
        spec: {url: "\(url)", interval: 1h, ref: {branch: main}}
        ---
        apiVersion: kustomize.petrel.dev/v1
        kind: Kustomization
        metadata: {name: app, namespace: team-a}
        spec: {sourceRef: {kind: GitRepository, name: apps}, path: ./deploy, interval: 1h, prune: true}
        ---
        apiVersion: kustomize.petrel.dev/v1
        kind: Kustomization
        metadata: {name: escape, namespace: team-a}
        spec: {sourceRef: {kind: GitRepository, name: apps}, path: ./escape, interval: 1h, prune: true}
        """
    }

    @Test(
        "tenant mode: the chart's least-privilege RBAC runs the controller; tenants get their account's rights only",
        .enabled(if: controllerBinary != nil, "needs the built petrel-controller (swift build)"),
        .timeLimit(.minutes(3)))
    func leastPrivilegeRuns() async throws {
        let binary = try #require(Self.controllerBinary)
        let rendered = try await Helm.renderRaw(["tenancy": ["enabled": true]])
        let manifest = try #require(rendered["manifest"]?.stringValue)
        let objects = rendered["objects"]?.arrayValue ?? []
        let args = try #require(objects.object(kind: "Deployment", name: "petrel")).managerArgs
        try await withTemporaryDirectory("chart-tenancy") { tmp in
            let repo = try GitTestRepository(root: tmp.appendingPathComponent("srv"))
            _ = try repo.commit(
                "apps",
                files: [
                    "deploy/app.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: team-a}\n",
                    "escape/x.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: team-b}\n",
                ])
            try await withGitDaemon(root: tmp.appendingPathComponent("srv")) { daemon in
                let generated = try LocalAPIServer.GeneratedTLS()
                let controllerToken = LocalAPIServer.Authentication.generateToken()
                let tokens = [
                    generated.token: generated.user,
                    controllerToken: LocalAPIServer.TokenUser(
                        name: Self.controllerUser, uid: "petrel",
                        groups: ["system:serviceaccounts", "system:serviceaccounts:petrel-system"]),
                ]
                let configuration = LocalAPIServer.Configuration(
                    tls: generated.tls, authentication: LocalAPIServer.Authentication(tokens: tokens))
                var logger = Logger(label: "petrel.chart.tenancy")
                logger.logLevel = .critical
                try await LocalAPIServer.withRunning(configuration: configuration, logger: logger) { url in
                    let ca = generated.authority.certificatePEM
                    let admin = tmp.appendingPathComponent("admin.kubeconfig").path
                    let controller = tmp.appendingPathComponent("controller.kubeconfig").path
                    try LocalAPIServer.writeKubeconfig(
                        for: url, to: admin, credentials: .init(certificateAuthorityPEM: ca, token: generated.token))
                    try LocalAPIServer.writeKubeconfig(
                        for: url, to: controller, credentials: .init(certificateAuthorityPEM: ca, token: controllerToken))
                    let kubectl = Kubectl(directory: tmp, kubeconfig: admin)
                    let asController = Kubectl(directory: tmp, kubeconfig: controller)
                    for namespace in ["petrel-system", "team-a", "team-b"] {
                        try await kubectl.succeed(["create", "namespace", namespace])
                    }
                    try await kubectl.succeed(
                        ["apply", "--server-side", "-f", Helm.chart.appendingPathComponent("crds").path])
                    try await kubectl.apply(manifest, name: "rendered.yaml")
                    try await kubectl.apply(Self.tenantObjects(url: daemon.url(repo.relativePath)), name: "team-a.yaml")

                    // What the chart's account may do itself: read Secrets by name, impersonate; no more.
                    #expect(try await asController.canI(["get", "secrets", "-n", "team-a"]) == "yes")
                    #expect(try await asController.canI(["list", "secrets", "-A"]) == "no")
                    #expect(try await asController.canI(["get", "configmaps", "-n", "team-a"]) == "no")
                    #expect(try await asController.canI(["create", "configmaps", "-n", "team-a"]) == "no")
                    #expect(try await asController.canI(["impersonate", "serviceaccounts", "-n", "team-a"]) == "yes")
                    #expect(try await asController.canI(["create", "clusterrolebindings"]) == "no")

                    let storagePort = try TestCommand.freePort()
                    let process = try ManagedProcess(
                        name: "petrel-controller", executable: binary,
                        arguments: Self.localArgs(
                            args, storage: tmp.appendingPathComponent("storage"), storagePort: storagePort,
                            kubeconfig: controller),
                        logFile: tmp.appendingPathComponent("controller.log"))
                    defer { process.stop() }
                    let ready = try await kubectl.waitFor("Kustomization team-a/app Ready", process: process) {
                        try await kubectl.condition("kustomization", "app", namespace: "team-a") == "True"
                    }
                    #expect(ready)
                    #expect(try await kubectl.run(["get", "configmap", "app", "-n", "team-a"]).status == 0)
                    let escaped = try await kubectl.waitFor("Kustomization team-a/escape refused", process: process) {
                        try await kubectl.condition("kustomization", "escape", namespace: "team-a") == "False"
                    }
                    #expect(escaped)
                    let message = try await kubectl.run([
                        "get", "kustomization", "escape", "-n", "team-a",
                        "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].message}",
                    ]).stdout
                    #expect(message.contains("User \"system:serviceaccount:team-a:default\" cannot"), "\(message)")
                    #expect(message.contains("\"team-b\""), "\(message)")
                    #expect(try await kubectl.run(["get", "configmap", "x", "-n", "team-b"]).status != 0)
                    let events = try await kubectl.run(["get", "events", "-n", "team-a", "-o", "name"]).stdout
                    #expect(!events.isEmpty, "the controller writes Events in the tenant's namespace")
                    #expect(!process.log.contains("User \"\(Self.controllerUser)\""), "\(process.log.suffix(4000))")
                }
            }
        }
    }
}

/// kubectl with one kubeconfig and a private cache.
struct Kubectl: Sendable {
    let directory: URL
    let kubeconfig: String

    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["KUBECONFIG"] = kubeconfig
        environment["HOME"] = directory.path
        environment["KUBECACHEDIR"] = directory.appendingPathComponent("kubecache-\(kubeconfig.hashValue)").path
        return environment
    }

    func run(_ arguments: [String]) async throws -> Helm.Output {
        try await Helm.run("/usr/bin/kubectl", arguments, environment: environment)
    }

    func succeed(_ arguments: [String]) async throws {
        let output = try await run(arguments)
        try #require(output.status == 0, "kubectl \(arguments.joined(separator: " ")): \(output.stderr)")
    }

    func apply(_ yaml: String, name: String) async throws {
        let file = directory.appendingPathComponent(name)
        try Data(yaml.utf8).write(to: file)
        try await succeed(["apply", "--server-side", "-f", file.path])
    }

    /// `kubectl auth can-i`'s answer (`yes` or `no`).
    func canI(_ arguments: [String]) async throws -> String {
        try await run(["auth", "can-i"] + arguments).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The status of the Ready condition of `kind/name`.
    func condition(_ kind: String, _ name: String, namespace: String) async throws -> String {
        try await run([
            "get", kind, name, "-n", namespace, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}",
        ]).stdout
    }

    /// Polls `condition` for up to 90 s; on a timeout records the controller's log.
    func waitFor(_ what: String, process: ManagedProcess, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(250))
        }
        Issue.record("timed out waiting for \(what); controller log:\n\(process.log.suffix(4000))")
        return false
    }
}
