import Foundation
import KubeClient
import KubeCore
import LocalAPIServer
import Logging
import PetrelTesting
import Testing

/// What the fault tests run on: a `git daemon` serving a repository of `kustomizations` apps (each a folder of
/// `objects` ConfigMaps), a `petrel-apiserver` process with a data directory, a ``FaultProxy`` in front of it (the
/// controller's kubeconfig points at the proxy), and a client of the test's own that talks to the server directly.
///
/// Revision `n` of the repository gives every ConfigMap `data.revision: "n"`; ``violations(revision:)`` lists how
/// the cluster differs from what revision `n` means, so a test asserts convergence as an invariant.
struct FaultCluster: Sendable {
    let directory: URL
    let apiServer: APIServerProcess
    let proxy: FaultProxy
    /// Talks to the API server directly, bypassing the proxy.
    let client: KubeClient
    let repository: GitTestRepository
    let gitURL: String
    /// The kubeconfig of the controller: through the proxy.
    let kubeconfig: String
    /// The kubeconfig of kubectl and the test: direct.
    let directKubeconfig: String
    let kustomizations: Int
    let objects: Int

    static let namespace = "apps"
    static let gitRepositories = GroupVersionResource(group: "source.petrel.dev", version: "v1", resource: "gitrepositories")
    static let kustomizationsResource = GroupVersionResource(
        group: "kustomize.petrel.dev", version: "v1", resource: "kustomizations")
    static let configMaps = GroupVersionResource(group: "", version: "v1", resource: "configmaps")
    static let leases = GroupVersionResource(group: "coordination.k8s.io", version: "v1", resource: "leases")

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Sets everything up with revision 1 committed and the GitRepository and Kustomizations created (no
    /// controller runs yet), runs `body`, then stops it all.
    static func with(
        kustomizations: Int = 3, objects: Int = 3, _ body: @Sendable (FaultCluster) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory("petrel-faults") { directory in
            let gitRoot = directory.appendingPathComponent("git")
            let repository = try GitTestRepository(root: gitRoot, name: "apps")
            try await withGitDaemon(root: gitRoot) { daemon in
                let apiServer = try APIServerProcess(directory: directory)
                try await apiServer.start()
                let proxy = try await FaultProxy.start(upstreamPort: apiServer.port)
                let kubeconfig = directory.appendingPathComponent("kubeconfig-proxy").path
                let directKubeconfig = directory.appendingPathComponent("kubeconfig").path
                try LocalAPIServer.writeKubeconfig(for: URL(string: "http://127.0.0.1:\(proxy.port)")!, to: kubeconfig)
                try LocalAPIServer.writeKubeconfig(for: URL(string: apiServer.url)!, to: directKubeconfig)
                var logger = Logger(label: "fault-test")
                logger.logLevel = .critical
                let client = try KubeClient(config: KubeConfig(server: apiServer.url, timeout: .seconds(10)), logger: logger)
                let cluster = FaultCluster(
                    directory: directory, apiServer: apiServer, proxy: proxy, client: client, repository: repository,
                    gitURL: daemon.url(repository.relativePath), kubeconfig: kubeconfig,
                    directKubeconfig: directKubeconfig, kustomizations: kustomizations, objects: objects)
                do {
                    try await cluster.prepare()
                    try await body(cluster)
                } catch {
                    await cluster.tearDown()
                    throw error
                }
                await cluster.tearDown()
            }
        }
    }

    private func tearDown() async {
        await proxy.stop()
        try? await client.shutdown()
        await apiServer.stop()
    }

    private func prepare() async throws {
        try await commit(revision: 1)
        _ = try await TestCommand.runDetached(
            "/usr/bin/kubectl",
            ["--kubeconfig", directKubeconfig, "apply", "-f", Self.packageRoot.appendingPathComponent("crds").path])
        _ = try await client.create(
            GroupVersionResource(group: "", version: "v1", resource: "namespaces"),
            ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(Self.namespace)]])
        _ = try await client.create(
            Self.gitRepositories, namespace: Self.namespace,
            [
                "apiVersion": "source.petrel.dev/v1", "kind": "GitRepository",
                "metadata": ["name": "apps", "namespace": .string(Self.namespace)],
                "spec": ["url": .string(gitURL), "interval": "2s", "ref": ["branch": "main"]],
            ])
        for index in 0..<kustomizations { try await createKustomization(index) }
    }

    /// The name of Kustomization `index`.
    static func kustomizationName(_ index: Int) -> String { "app-\(index)" }

    /// Creates Kustomization `index` (path `./apps/app-<index>`, prune on).
    func createKustomization(_ index: Int) async throws {
        _ = try await client.create(
            Self.kustomizationsResource, namespace: Self.namespace,
            [
                "apiVersion": "kustomize.petrel.dev/v1", "kind": "Kustomization",
                "metadata": ["name": .string(Self.kustomizationName(index)), "namespace": .string(Self.namespace)],
                "spec": [
                    "interval": "1m", "path": .string("./apps/app-\(index)"), "prune": true,
                    "targetNamespace": .string(Self.namespace),
                    "sourceRef": ["kind": "GitRepository", "name": "apps"],
                ],
            ])
    }

    /// Commits revision `n`: every app's ConfigMaps with `data.revision: "n"`. Returns the commit's SHA.
    @discardableResult
    func commit(revision n: Int) async throws -> String {
        var files: [String: String?] = [:]
        for app in 0..<kustomizations {
            let names = (0..<objects).map { "cm-\(app)-\($0).yaml" }
            files["apps/app-\(app)/kustomization.yaml"] = "resources:\n" + names.map { "- \($0)\n" }.joined()
            for object in 0..<objects {
                files["apps/app-\(app)/cm-\(app)-\(object).yaml"] = """
                    apiVersion: v1
                    kind: ConfigMap
                    metadata:
                      name: cm-\(app)-\(object)
                    data:
                      revision: "\(n)"

                    """
            }
        }
        let repository = self.repository
        return try await Task.detached { try repository.commit("revision \(n)", files: files) }.value
    }

    /// Runs `operation` until it succeeds or `limit` passes (the API server may be restarting).
    func retrying<T: Sendable>(
        _ what: String, limit: Duration = .seconds(60), _ operation: () async throws -> T
    ) async throws -> T {
        let deadline = ContinuousClock.now + limit
        while true {
            do { return try await operation() } catch {
                guard ContinuousClock.now < deadline else {
                    throw FaultTestError( "\(what) kept failing for \(limit): \(error)")
                }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// How the cluster differs from revision `n` with `sha`: every Kustomization in `names` Ready at that commit
    /// with an inventory of exactly its ConfigMaps, every ConfigMap at revision `n`, no ConfigMap left from a
    /// Kustomization not in `names` (prune) or from an object not in the revision. Empty when converged.
    func violations(revision n: Int, sha: String, names: [String]? = nil) async -> [String] {
        let names = names ?? (0..<kustomizations).map(Self.kustomizationName)
        var found: [String] = []
        guard
            let list = try? await client.list(
                Self.configMaps, namespace: Self.namespace,
                options: QueryOptions(labelSelector: "kustomize.petrel.dev/namespace=\(Self.namespace)"))
        else { return ["cannot list ConfigMaps"] }
        var live: [String: String] = [:]
        for item in list.items {
            live[item[path: ["metadata", "name"]]?.stringValue ?? ""] =
                item[path: ["data", "revision"]]?.stringValue ?? "?"
        }
        var expected: Set<String> = []
        for name in names {
            let app = name.dropFirst("app-".count)
            let objects = (0..<self.objects).map { "cm-\(app)-\($0)" }
            expected.formUnion(objects)
            guard let ks = try? await client.get(Self.kustomizationsResource, namespace: Self.namespace, name: name) else {
                found.append("\(name): missing")
                continue
            }
            let ready = (ks[path: ["status", "conditions"]]?.arrayValue ?? []).first { $0["type"]?.stringValue == "Ready" }
            if ready?["status"]?.stringValue != "True" {
                found.append("\(name): Ready=\(ready?["status"]?.stringValue ?? "-") \(ready?["message"]?.stringValue ?? "")")
            }
            let applied = ks[path: ["status", "lastAppliedRevision"]]?.stringValue ?? ""
            if !applied.hasSuffix(sha) { found.append("\(name): lastAppliedRevision \(applied), want \(sha)") }
            let inventory = Set(
                (ks[path: ["status", "inventory", "entries"]]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue })
            let wanted = Set(objects.map { "\(Self.namespace)_\($0)__ConfigMap" })
            if inventory != wanted { found.append("\(name): inventory \(inventory.sorted()) != \(wanted.sorted())") }
        }
        for name in expected.sorted() where live[name] != "\(n)" {
            found.append("ConfigMap \(name): revision \(live[name] ?? "missing"), want \(n)")
        }
        for name in Set(live.keys).subtracting(expected).sorted() {
            found.append("ConfigMap \(name): orphan (not in the revision or its Kustomization is gone)")
        }
        return found
    }

    /// Waits (generously) until ``violations(revision:sha:names:)`` is empty; records the last ones otherwise.
    @discardableResult
    func expectConvergence(
        revision n: Int, sha: String, names: [String]? = nil, within limit: Duration = .seconds(120),
        controller: ControllerProcess? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) async -> Bool {
        var last: [String] = []
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            last = await violations(revision: n, sha: sha, names: names)
            if last.isEmpty { return true }
            try? await Task.sleep(for: .milliseconds(250))
        }
        var message = "not converged to revision \(n) (\(sha)) within \(limit): \(Array(last.prefix(10)))"
        if let controller { message += "\ncontroller log tail:\n" + String(controller.log.suffix(4000)) }
        Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
        return false
    }

    /// How each informer of `controller` differs from the server: `petrel_informer_objects` against a list of the
    /// resource. Empty when every informer holds what the server holds.
    func informerDifferences(_ controller: ControllerProcess) async -> [String] {
        let counts = await controller.metric("petrel_informer_objects")
        var found: [String] = []
        for (resource, gvr) in [
            ("source.petrel.dev/v1, Resource=gitrepositories", Self.gitRepositories),
            ("kustomize.petrel.dev/v1, Resource=kustomizations", Self.kustomizationsResource),
        ] {
            guard let listed = try? await client.list(gvr, namespace: nil) else { return ["cannot list \(gvr)"] }
            let cached = counts.first { $0.key.contains(resource) }?.value
            if cached != Double(listed.items.count) {
                found.append("\(gvr.resource): informer holds \(cached.map { "\(Int($0))" } ?? "nothing"), server \(listed.items.count)")
            }
        }
        return found
    }
}
