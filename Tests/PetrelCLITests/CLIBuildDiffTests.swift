import Foundation
import KubeClient
import KubeCore
import Testing

/// `petrel build kustomization` and `petrel diff kustomization` against a local API server.
@Suite(
    "petrel build/diff kustomization against a local API server", .serialized,
    .enabled(if: haveBinaries, "needs /usr/bin/kubectl and the built petrel binary"))
struct CLIBuildDiffTests {
    typealias C = CLICluster

    /// The controller's field manager: `petrel diff` dry-runs with it by default.
    static let controllerManager = "petrel-kustomize-controller"

    /// A folder of manifests for the tests, removed afterwards.
    struct Workspace {
        let root: URL
        var app: URL { root.appendingPathComponent("app") }

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-diff-\(UUID().uuidString)")
            try FileManager.default.createDirectory(
                at: root.appendingPathComponent("app"), withIntermediateDirectories: true)
        }

        func write(_ relative: String, _ text: String) throws {
            let url = root.appendingPathComponent(relative)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }

        func remove(_ relative: String) throws {
            try FileManager.default.removeItem(at: root.appendingPathComponent(relative))
        }

        func cleanUp() { try? FileManager.default.removeItem(at: root) }
    }

    static func configMap(_ name: String, _ data: [String: String]) -> String {
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \(name)\ndata:\n"
            + data.sorted { $0.key < $1.key }.map { "  \($0.key): \"\($0.value)\"\n" }.joined()
    }

    /// A Kustomization `name` in petrel-system with the given spec fields added to a minimal spec.
    static func kustomization(_ name: String, _ extra: JSONValue) -> JSONValue {
        var spec: JSONValue = [
            "sourceRef": ["kind": "GitRepository", "name": "demo"], "path": "./nowhere", "interval": "5m",
            "prune": true,
        ]
        for (key, value) in extra.objectValue ?? JSONObject() { spec[key] = value }
        return [
            "apiVersion": "kustomize.petrel.dev/v1", "kind": "Kustomization",
            "metadata": ["name": .string(name), "namespace": "petrel-system"], "spec": spec,
        ]
    }

    func apply(_ cluster: CLICluster, _ object: JSONValue) async throws {
        _ = try await cluster.client.apply(object, fieldManager: "tests", force: true)
    }

    @Test(
        "build kustomization applies targetNamespace, prefix, suffix, images, patches, commonMetadata, owner labels and postBuild variables from substitute, a ConfigMap and a Secret"
    )
    func buildWithOverrides() async throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        try workspace.write("app/kustomization.yaml", "resources:\n- settings.yaml\n- web.yaml\n")
        try workspace.write(
            "app/settings.yaml",
            Self.configMap("settings", ["greeting": "${greeting}", "colour": "${colour}", "token": "${token:=none}"]))
        try workspace.write(
            "app/web.yaml",
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
            spec:
              replicas: 1
              selector:
                matchLabels: {app: web}
              template:
                metadata:
                  labels: {app: web}
                spec:
                  containers:
                  - name: web
                    image: nginx:1.27
                    envFrom:
                    - configMapRef: {name: settings}

            """)
        try await C.with { cluster in
            try await cluster.kubectlOK(["create", "namespace", "vars"])
            try await apply(
                cluster,
                [
                    "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "vars", "namespace": "petrel-system"],
                    "data": ["colour": "blue", "greeting": "overridden below"],
                ])
            try await apply(
                cluster,
                [
                    "apiVersion": "v1", "kind": "Secret", "metadata": ["name": "secret-vars", "namespace": "petrel-system"],
                    "data": ["token": .string(Data("s3cr3t".utf8).base64EncodedString())],
                ])
            try await apply(
                cluster,
                Self.kustomization(
                    "web",
                    [
                        "targetNamespace": "vars", "namePrefix": "p-", "nameSuffix": "-s",
                        "images": [["name": "nginx", "newTag": "1.28"]],
                        "patches": [
                            [
                                "patch": "- op: replace\n  path: /spec/replicas\n  value: 3\n",
                                "target": ["kind": "Deployment"],
                            ]
                        ],
                        "commonMetadata": ["labels": ["team": "platform"], "annotations": ["owner": "ops"]],
                        "postBuild": [
                            "substitute": ["greeting": "Hello"],
                            "substituteFrom": [
                                ["kind": "ConfigMap", "name": "vars"], ["kind": "Secret", "name": "secret-vars"],
                                ["kind": "ConfigMap", "name": "absent", "optional": true],
                            ],
                        ],
                    ]))
            let output = try await cluster.petrel(["build", "kustomization", "web", "--path", workspace.app.path])
            #expect(output.status == 0, "stderr: \(output.stderr)")
            let documents = output.stdout.components(separatedBy: "\n---\n")
            #expect(documents.count == 2, "\(output.stdout)")
            let settings = documents.first { $0.contains("kind: ConfigMap") } ?? ""
            let web = documents.first { $0.contains("kind: Deployment") } ?? ""
            #expect(settings.contains("name: p-settings-s"))
            #expect(settings.contains("namespace: vars"))
            #expect(settings.contains("greeting: Hello"), "inline substitute wins over the ConfigMap: \(settings)")
            #expect(settings.contains("colour: blue"))
            #expect(settings.contains("token: s3cr3t"), "the Secret's value is decoded: \(settings)")
            #expect(settings.contains("team: platform"))
            #expect(settings.contains("owner: ops"))
            #expect(settings.contains("kustomize.petrel.dev/name: web"))
            #expect(settings.contains("kustomize.petrel.dev/namespace: petrel-system"))
            #expect(web.contains("name: p-web-s"))
            #expect(web.contains("replicas: 3"))
            #expect(web.contains("image: nginx:1.28"))
            #expect(web.contains("name: p-settings-s"), "references follow the prefix and suffix: \(web)")
            // commonMetadata goes on metadata only, not into selectors.
            #expect(!web.contains("matchLabels:\n      app: web\n      team"), "\(web)")

            // Nothing was written to the cluster.
            let written = try await cluster.petrel(["get", "ks", "web", "-o", "json"])
            #expect(written.status == 0)
            let list = try await cluster.client.list(
                GroupVersionResource(group: "", version: "v1", resource: "configmaps"), namespace: "vars")
            #expect(list.items.allSatisfy { $0.kube.name != "p-settings-s" })
        }
    }

    @Test("build kustomization: a missing Kustomization exits 3, a bad --path 2, a failing build or a missing variable source 1")
    func buildFailures() async throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        try workspace.write("app/kustomization.yaml", "resources:\n- cm.yaml\n")
        try workspace.write("app/cm.yaml", Self.configMap("cm", ["a": "${missing}"]))
        try workspace.write("broken/kustomization.yaml", "resources:\n- bad.yaml\n")
        try workspace.write("broken/bad.yaml", "kind: [unclosed\n")
        try await C.with { cluster in
            let missing = try await cluster.petrel(["build", "ks", "nope", "--path", workspace.app.path])
            #expect(missing.status == 3)
            #expect(missing.stderr.contains("Kustomization \"nope\" in namespace \"petrel-system\" not found"))

            let notDirectory = try await cluster.petrel(["build", "ks", "demo-app", "--path", "/nonexistent-dir"])
            #expect(notDirectory.status == 2)
            #expect(notDirectory.stderr.contains("is not a directory"))

            let broken = try await cluster.petrel(
                ["build", "ks", "demo-app", "--path", workspace.root.appendingPathComponent("broken").path])
            #expect(broken.status == 1)
            #expect(broken.stderr.contains("bad.yaml"), "\(broken.stderr)")

            try await apply(
                cluster,
                Self.kustomization(
                    "strict", ["postBuild": ["substituteFrom": [["kind": "Secret", "name": "not-there"]]]]))
            let source = try await cluster.petrel(["build", "ks", "strict", "--path", workspace.app.path])
            #expect(source.status == 1)
            #expect(source.stderr.contains("Secret/not-there"), "\(source.stderr)")

            try await apply(cluster, Self.kustomization("unset", ["postBuild": ["substitute": ["other": "x"]]]))
            let unset = try await cluster.petrel(["build", "ks", "unset", "--path", workspace.app.path])
            #expect(unset.status == 1)
            #expect(unset.stderr.contains("variable 'missing' not set"), "\(unset.stderr)")

            // Without -n the context's namespace is used; -n names another one.
            let elsewhere = try await cluster.petrel(["build", "ks", "demo-app", "-n", "default", "--path", workspace.app.path])
            #expect(elsewhere.status == 3)
        }
    }

    @Test(
        "diff kustomization: exit 0 when in sync; exit 1 listing created, drifted (unified diff, Secret values masked) and pruned objects"
    )
    func diff() async throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        try workspace.write("app/kustomization.yaml", "resources:\n- settings.yaml\n- token.yaml\n")
        try workspace.write("app/settings.yaml", Self.configMap("settings", ["mode": "old", "size": "1"]))
        try workspace.write(
            "app/token.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: token\nstringData:\n  key: first-value\n  same: unchanged\n")
        try await C.with { cluster in
            try await cluster.kubectlOK(["create", "namespace", "shop"])
            try await apply(cluster, Self.kustomization("shop", ["targetNamespace": "shop"]))
            // Play the controller: apply the build with its field manager and record the inventory.
            let built = try await cluster.petrel(["build", "ks", "shop", "--path", workspace.app.path])
            try #require(built.status == 0, "stderr: \(built.stderr)")
            try workspace.write("applied.yaml", built.stdout)
            try await cluster.kubectlOK([
                "apply", "--server-side", "--field-manager", Self.controllerManager, "-f",
                workspace.root.appendingPathComponent("applied.yaml").path,
            ])
            try await apply(
                cluster,
                ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "old", "namespace": "shop"]])
            let inventory: JSONValue = [
                "entries": [
                    ["id": "shop_settings__ConfigMap", "v": "v1"], ["id": "shop_token__Secret", "v": "v1"],
                ]
            ]
            try await cluster.setStatus(C.kustomizations, name: "shop", ["inventory": inventory])

            let inSync = try await cluster.petrel(["diff", "kustomization", "shop", "--path", workspace.app.path])
            #expect(inSync.status == 0, "stdout: \(inSync.stdout) stderr: \(inSync.stderr)")
            #expect(inSync.stdout.isEmpty)

            // Change a value, a Secret value, add an object, and leave one in the inventory that the build dropped.
            try workspace.write("app/kustomization.yaml", "resources:\n- settings.yaml\n- token.yaml\n- extra.yaml\n")
            try workspace.write("app/settings.yaml", Self.configMap("settings", ["mode": "new", "size": "1"]))
            try workspace.write(
                "app/token.yaml",
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: token\nstringData:\n  key: second-value\n  same: unchanged\n")
            try workspace.write("app/extra.yaml", Self.configMap("extra", ["x": "y"]))
            var entries = inventory["entries"]?.arrayValue ?? []
            entries.append(["id": "shop_old__ConfigMap", "v": "v1"])
            try await cluster.setStatus(C.kustomizations, name: "shop", ["inventory": ["entries": .array(entries)]])

            let changed = try await cluster.petrel(["diff", "ks", "shop", "--path", workspace.app.path])
            #expect(changed.status == 1, "stderr: \(changed.stderr)")
            let out = changed.stdout
            #expect(out.contains("► ConfigMap/shop/settings drifted\n--- ConfigMap/shop/settings (live)\n+++ ConfigMap/shop/settings (after apply)\n@@ "), "\(out)")
            #expect(out.contains("\n-  mode: old\n+  mode: new\n"), "\(out)")
            #expect(!out.contains("-  size"), "unchanged lines are context only: \(out)")
            #expect(out.contains("► Secret/shop/token drifted"))
            #expect(out.contains("-  key: '*** (before)'") || out.contains("-  key: \"*** (before)\""), "\(out)")
            #expect(out.contains("+  key: '*** (after)'") || out.contains("+  key: \"*** (after)\""), "\(out)")
            #expect(!out.contains(Data("second-value".utf8).base64EncodedString()))
            #expect(!out.contains(Data("first-value".utf8).base64EncodedString()))
            #expect(!out.contains("second-value"))
            #expect(out.contains("► ConfigMap/shop/extra created"))
            #expect(out.contains("► ConfigMap/shop/old deleted"))
            #expect(!out.contains("managedFields"))
            #expect(!out.contains("resourceVersion"))
            #expect(!hasEscapeCodes(out))

            // Nothing was written: the live ConfigMap still has the old value and extra does not exist.
            let live = try await cluster.client.get(
                GroupVersionResource(group: "", version: "v1", resource: "configmaps"), namespace: "shop",
                name: "settings")
            #expect(live[path: ["data", "mode"]]?.stringValue == "old")
            let extra = try await cluster.petrel(["diff", "ks", "shop", "--path", workspace.app.path])
            #expect(extra.stdout.contains("► ConfigMap/shop/extra created"))

            // Without spec.prune nothing is listed as deleted.
            try await apply(cluster, Self.kustomization("shop", ["targetNamespace": "shop", "prune": false]))
            let noPrune = try await cluster.petrel(["diff", "ks", "shop", "--path", workspace.app.path])
            #expect(noPrune.status == 1)
            #expect(!noPrune.stdout.contains("deleted"))
        }
    }

    @Test("diff kustomization: exit 3 for a missing Kustomization, 2 for a failing build or dry-run")
    func diffFailures() async throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        try workspace.write("broken/kustomization.yaml", "resources:\n- bad.yaml\n")
        try workspace.write("broken/bad.yaml", "kind: [unclosed\n")
        try workspace.write("app/kustomization.yaml", "resources:\n- thing.yaml\n")
        try workspace.write(
            "app/thing.yaml", "apiVersion: example.com/v1\nkind: NoSuchKind\nmetadata:\n  name: thing\n")
        try await C.with { cluster in
            let missing = try await cluster.petrel(["diff", "ks", "nope", "--path", workspace.app.path])
            #expect(missing.status == 3)
            let broken = try await cluster.petrel(
                ["diff", "ks", "demo-app", "--path", workspace.root.appendingPathComponent("broken").path])
            #expect(broken.status == 2, "stderr: \(broken.stderr)")
            #expect(broken.stderr.contains("bad.yaml"))
            let unknownKind = try await cluster.petrel(["diff", "ks", "demo-app", "--path", workspace.app.path])
            #expect(unknownKind.status == 2, "stdout: \(unknownKind.stdout) stderr: \(unknownKind.stderr)")
            #expect(unknownKind.stderr.contains("NoSuchKind"), "\(unknownKind.stderr)")
        }
    }
}
