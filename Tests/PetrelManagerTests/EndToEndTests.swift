import Foundation
import LocalAPIServer
import Logging
import PetrelTesting
import Testing

/// The whole job through the interfaces users touch: `kubectl apply` of a GitRepository and a Kustomization, the
/// built `petrel-controller` binary running both controllers against the local API server over HTTP, a real
/// `git daemon` serving the repository, and `kubectl get` to look at the outcome.
@Suite("End to end: git daemon → petrel-controller → local API server", .serialized)
struct EndToEndTests {
    static var binaries: URL {
        // The test bundle sits next to the built executables (.build/<triple>/debug).
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    @Test("create, commit, prune, bad commit kept out, Kustomization deleted — as a user sees it", .timeLimit(.minutes(4)))
    func wholeJob() async throws {
        try await withTemporaryDirectory("petrel-e2e") { tmp in
            let repo = try GitTestRepository(root: tmp.appendingPathComponent("git"), name: "app")
            _ = try repo.commit("first", files: [
                "deploy/kustomization.yaml": "resources:\n- configmap.yaml\n- extra.yaml\n",
                "deploy/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  greeting: ${greeting}\n  colour: blue\n",
                "deploy/extra.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  a: b\n",
            ])
            try await withGitDaemon(root: tmp.appendingPathComponent("git")) { daemon in
                try await LocalAPIServer.withRunning { url in
                    let kubeconfig = tmp.appendingPathComponent("kubeconfig").path
                    try LocalAPIServer.writeKubeconfig(for: url, to: kubeconfig)
                    let kubectl = { @Sendable (arguments: [String]) async throws -> String in
                        try await TestCommand.runDetached("/usr/bin/kubectl", ["--kubeconfig", kubeconfig] + arguments)
                    }
                    _ = try await kubectl(["apply", "-f", Self.packageRoot.appendingPathComponent("crds").path])
                    _ = try await kubectl(["create", "namespace", "team"])
                    let manifests = tmp.appendingPathComponent("objects.yaml")
                    try """
                        apiVersion: source.petrel.dev/v1
                        kind: GitRepository
                        metadata:
                          name: app
                          namespace: team
                        spec:
                          url: \(daemon.url(repo.relativePath))
                          interval: 1h
                          ref:
                            branch: main
                        ---
                        apiVersion: kustomize.petrel.dev/v1
                        kind: Kustomization
                        metadata:
                          name: app
                          namespace: team
                        spec:
                          sourceRef:
                            kind: GitRepository
                            name: app
                          path: ./deploy
                          interval: 1h
                          prune: true
                          targetNamespace: team
                          postBuild:
                            substitute:
                              greeting: hello
                        """.write(to: manifests, atomically: true, encoding: .utf8)

                    let storagePort = try TestCommand.freePort()
                    let controller = try ManagedProcess(
                        name: "petrel-controller", executable: Self.binaries.appendingPathComponent("petrel-controller").path,
                        arguments: [
                            "--kubeconfig", kubeconfig, "--no-leader-elect", "--log-encoding", "console",
                            "--storage-path", tmp.appendingPathComponent("storage").path,
                            "--storage-addr", "127.0.0.1:\(storagePort)", "--storage-adv-addr", "127.0.0.1:\(storagePort)",
                            "--metrics-addr", "127.0.0.1:\(try TestCommand.freePort())",
                            "--health-addr", "127.0.0.1:\(try TestCommand.freePort())",
                        ],
                        logFile: tmp.appendingPathComponent("controller.log"))
                    defer { controller.stop() }
                    _ = try await kubectl(["apply", "-f", manifests.path])

                    // 1. The first commit lands: the Kustomization turns Ready with that revision.
                    let first = try repo.head()
                    let ready = await waitUntil {
                        (try? await kubectl(["get", "ks", "app", "-n", "team", "-o", "jsonpath={.status.lastAppliedRevision}"]))?
                            .contains(first) == true
                    }
                    #expect(ready, "Kustomization applied the first commit; controller log:\n\(controller.log)")
                    #expect(try await kubectl(["get", "configmap", "settings", "-n", "team", "-o", "jsonpath={.data.greeting}"]) == "hello")
                    let table = try await kubectl(["get", "kustomizations", "-n", "team"])
                    #expect(table.contains("True"), "kubectl get shows READY True: \(table)")
                    let sources = try await kubectl(["get", "gitrepositories", "-n", "team"])
                    #expect(sources.contains(first), "kubectl get shows the revision: \(sources)")

                    // 2. A new commit changes one object and removes another: updated and pruned.
                    _ = try repo.commit("second", files: [
                        "deploy/kustomization.yaml": "resources:\n- configmap.yaml\n",
                        "deploy/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  greeting: ${greeting}\n  colour: green\n",
                        "deploy/extra.yaml": nil,
                    ])
                    let second = try repo.head()
                    _ = try await kubectl(["annotate", "--overwrite", "gitrepository", "app", "-n", "team",
                                     "reconcile.petrel.dev/requestedAt=\(Date().timeIntervalSince1970)"])
                    let updated = await waitUntil {
                        (try? await kubectl(["get", "configmap", "settings", "-n", "team", "-o", "jsonpath={.data.colour}"])) == "green"
                    }
                    #expect(updated, "the changed object follows Git; log:\n\(controller.log)")
                    let pruned = await waitUntil {
                        (try? await kubectl(["get", "configmap", "extra", "-n", "team", "--ignore-not-found", "-o", "name"]))?.isEmpty == true
                    }
                    #expect(pruned, "the removed object was pruned")
                    let applied = await waitUntil {
                        (try? await kubectl(["get", "ks", "app", "-n", "team", "-o", "jsonpath={.status.lastAppliedRevision}"]))?
                            .contains(second) == true
                    }
                    #expect(applied)

                    // 3. A broken commit: Ready=False naming the file; what was applied stays.
                    _ = try repo.commit("broken", files: ["deploy/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: [oops\n"])
                    _ = try await kubectl(["annotate", "--overwrite", "gitrepository", "app", "-n", "team",
                                     "reconcile.petrel.dev/requestedAt=\(Date().timeIntervalSince1970)"])
                    let failed = await waitUntil {
                        let message = (try? await kubectl(["get", "ks", "app", "-n", "team", "-o",
                                                     "jsonpath={.status.conditions[?(@.type==\"Ready\")].message}"])) ?? ""
                        return message.contains("configmap.yaml")
                    }
                    #expect(failed, "Ready=False names the broken file; log:\n\(controller.log)")
                    #expect(try await kubectl(["get", "configmap", "settings", "-n", "team", "-o", "jsonpath={.data.colour}"]) == "green")
                    let events = try await kubectl(["get", "events", "-n", "team", "-o", "jsonpath={range .items[*]}{.type} {.reason}: {.message}{\"\\n\"}{end}"])
                    #expect(
                        events.split(separator: "\n").contains { $0.hasPrefix("Warning") && $0.contains("configmap.yaml") },
                        "a Warning event names the file: \(events)")

                    // 4. The Kustomization is deleted: its inventory is pruned.
                    _ = try await kubectl(["delete", "ks", "app", "-n", "team", "--wait=false"])
                    let gone = await waitUntil {
                        (try? await kubectl(["get", "configmap", "settings", "-n", "team", "--ignore-not-found", "-o", "name"]))?.isEmpty == true
                    }
                    #expect(gone, "deleting the Kustomization pruned what it applied")
                }
            }
        }
    }
}

private func waitUntil(_ timeout: Duration = .seconds(60), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(250))
    }
    return false
}
