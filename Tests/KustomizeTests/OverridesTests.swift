import Foundation
import KubeCore
import Testing

@testable import Kustomize

/// `KustomizeBuilder.build(root:path:overrides:)` against `kubectl kustomize` run on the kustomization Flux's
/// generator would write: each case holds a source tree, the overrides, and the hand-written kustomization file that
/// Flux would leave in the built directory. The oracle builds a copy of the tree with that file in place.
@Suite("Flux Kustomization overrides")
struct OverridesTests {
    static let kubectl = "/usr/bin/kubectl"

    static let deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          labels:
            app: web
        spec:
          selector:
            matchLabels:
              app: web
          template:
            metadata:
              labels:
                app: web
            spec:
              containers:
              - name: web
                image: nginx:1.25
              - name: side
                image: busybox
              volumes:
              - name: conf
                configMap:
                  name: conf

        """
    static let service = """
        apiVersion: v1
        kind: Service
        metadata:
          name: web
          labels:
            tier: front
        spec:
          selector:
            app: web
          ports:
          - port: 80

        """
    static let configMap = """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: settings
        data:
          key: value

        """

    func write(_ files: [String: String], in root: URL) throws {
        for (path, text) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
    }

    /// Builds `tree` at `path` with `overrides`, and compares with kubectl's build of the same tree where the
    /// kustomization of `path` is `fluxKustomization`; `commonMetadata` is applied to kubectl's output as Flux does
    /// after its build.
    func compare(
        tree: [String: String], path: String = "app", overrides: KustomizationOverrides, fluxKustomization: String,
        expectedCount: Int
    ) async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("overrides-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let ours = base.appendingPathComponent("ours")
        let theirs = base.appendingPathComponent("theirs")
        try write(tree, in: ours)
        var oracleTree = tree
        oracleTree.removeValue(forKey: path + "/kustomization.yaml")
        oracleTree[path + "/kustomization.yaml"] = fluxKustomization
        try write(oracleTree, in: theirs)

        let actual = try KustomizeBuilder().build(root: ours, path: path, overrides: overrides)
        let (text, stderr) = try await ConformanceTests.oracle(theirs.appendingPathComponent(path))
        let expectedText = try #require(text, "kubectl failed: \(stderr)")
        var expected = try YAMLCodec.parseStream(expectedText, file: "kubectl")
        overrides.applyCommonMetadata(to: &expected)
        #expect(actual.count == expectedCount)
        #expect(actual.count == expected.count)
        for (index, (mine, kubectls)) in zip(actual, expected).enumerated() {
            #expect(mine.semanticallyEquals(kubectls), "document \(index):\nours:    \(mine)\nkubectl: \(kubectls)")
        }
        if overrides.commonMetadata == nil {
            #expect(KustomizeBuilder().render(actual) == expectedText)
        }
    }

    @Test(
        "namespace, prefix, suffix, patches and images are written into an existing kustomization",
        .enabled(if: FileManager.default.isExecutableFile(atPath: kubectl), "needs /usr/bin/kubectl"))
    func existingKustomization() async throws {
        let tree = [
            "base/deploy.yaml": Self.deployment, "base/svc.yaml": Self.service, "base/cm.yaml": Self.configMap,
            "base/kustomization.yaml": "resources:\n- deploy.yaml\n- svc.yaml\n- cm.yaml\n",
            "app/kustomization.yaml": """
                namespace: original
                namePrefix: old-
                resources:
                - ../base
                images:
                - name: nginx
                  newTag: "1.26"
                patches:
                - target:
                    kind: Service
                  patch: |-
                    - op: add
                      path: /metadata/annotations
                      value: {first: "yes"}

                """,
        ]
        let overrides = KustomizationOverrides(
            targetNamespace: "prod", namePrefix: "p-", nameSuffix: "-s",
            patches: [
                .init(
                    patch: "- op: replace\n  path: /spec/ports/0/port\n  value: 8080\n",
                    target: .init(kind: "Service", labelSelector: "tier=front")),
                .init(patch: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  extra: \"1\"\n"),
            ],
            images: [
                .init(name: "nginx", newName: "registry.local/nginx"),
                .init(
                    name: "busybox", newTag: "1.36",
                    digest: "sha256:0000000000000000000000000000000000000000000000000000000000000000"),
            ])
        let flux = """
            namespace: prod
            namePrefix: p-
            nameSuffix: -s
            resources:
            - ../base
            images:
            - name: nginx
              newName: registry.local/nginx
              newTag: "1.26"
            - name: busybox
              newTag: "1.36"
              digest: sha256:0000000000000000000000000000000000000000000000000000000000000000
            patches:
            - target:
                kind: Service
              patch: |-
                - op: add
                  path: /metadata/annotations
                  value: {first: "yes"}
            - target:
                kind: Service
                labelSelector: tier=front
              patch: |
                - op: replace
                  path: /spec/ports/0/port
                  value: 8080
            - patch: |
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: settings
                data:
                  extra: "1"

            """
        try await compare(tree: tree, overrides: overrides, fluxKustomization: flux, expectedCount: 3)
    }

    @Test(
        "a directory without a kustomization gets one listing every manifest, then the overrides",
        .enabled(if: FileManager.default.isExecutableFile(atPath: kubectl), "needs /usr/bin/kubectl"))
    func generatedKustomization() async throws {
        let tree = [
            "app/deploy.yaml": Self.deployment,
            "app/nested/more/svc.yml": Self.service,
            "app/nested/notes.txt": "not yaml",
            "app/sub/kustomization.yaml": "namePrefix: sub-\nresources:\n- cm.yaml\n",
            "app/sub/cm.yaml": Self.configMap,
            "app/sub/unlisted.yaml": Self.configMap.replacingOccurrences(of: "settings", with: "never"),
        ]
        let overrides = KustomizationOverrides(
            targetNamespace: "team", nameSuffix: "-v2",
            patches: [.init(patch: "- op: add\n  path: /spec/replicas\n  value: 3\n", target: .init(kind: "Deployment"))])
        let flux = """
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            namespace: team
            nameSuffix: -v2
            resources:
            - ./deploy.yaml
            - ./nested/more/svc.yml
            - ./sub
            patches:
            - target:
                kind: Deployment
              patch: |
                - op: add
                  path: /spec/replicas
                  value: 3

            """
        try await compare(tree: tree, overrides: overrides, fluxKustomization: flux, expectedCount: 3)
    }

    @Test(
        "components are appended, and missing ones skipped only when asked",
        .enabled(if: FileManager.default.isExecutableFile(atPath: kubectl), "needs /usr/bin/kubectl"))
    func components() async throws {
        let tree = [
            "app/kustomization.yaml": "resources:\n- deploy.yaml\ncomponents:\n- ../comp/first\n",
            "app/deploy.yaml": Self.deployment,
            "comp/first/kustomization.yaml": """
                apiVersion: kustomize.config.k8s.io/v1alpha1
                kind: Component
                commonLabels:
                  first: "true"

                """,
            "comp/second/kustomization.yaml": """
                apiVersion: kustomize.config.k8s.io/v1alpha1
                kind: Component
                configMapGenerator:
                - name: extra
                  literals:
                  - mode=second
                patches:
                - target:
                    kind: Deployment
                  patch: |
                    - op: add
                      path: /spec/template/spec/volumes/-
                      value: {name: extra, configMap: {name: extra}}

                """,
        ]
        let overrides = KustomizationOverrides(
            namePrefix: "c-", components: ["../comp/second", "../comp/missing"], ignoreMissingComponents: true)
        let flux = "namePrefix: c-\nresources:\n- deploy.yaml\ncomponents:\n- ../comp/first\n- ../comp/second\n"
        try await compare(tree: tree, overrides: overrides, fluxKustomization: flux, expectedCount: 2)

        let root = FileManager.default.temporaryDirectory.appendingPathComponent("overrides-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try write(tree, in: root)
        var strict = overrides
        strict.ignoreMissingComponents = false
        #expect(throws: KustomizeError.self) {
            try KustomizeBuilder().build(root: root, path: "app", overrides: strict)
        }
        #expect(throws: KustomizeError.self) {
            try KustomizeBuilder().build(
                root: root, path: "app", overrides: KustomizationOverrides(components: ["/etc/comp"]))
        }
    }

    @Test(
        "commonMetadata lands on every object's metadata, not on selectors, templates or hashes",
        .enabled(if: FileManager.default.isExecutableFile(atPath: kubectl), "needs /usr/bin/kubectl"))
    func commonMetadata() async throws {
        let tree = [
            "app/kustomization.yaml": """
                resources:
                - deploy.yaml
                - svc.yaml
                configMapGenerator:
                - name: conf
                  literals:
                  - a=b

                """,
            "app/deploy.yaml": Self.deployment, "app/svc.yaml": Self.service,
        ]
        let overrides = KustomizationOverrides(
            commonMetadata: .init(labels: ["team": "blue", "app": "override"], annotations: ["owner": "ops"]))
        try await compare(
            tree: tree, overrides: overrides, fluxKustomization: tree["app/kustomization.yaml"] ?? "", expectedCount: 3)

        let root = FileManager.default.temporaryDirectory.appendingPathComponent("overrides-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try write(tree, in: root)
        let objects = try KustomizeBuilder().build(root: root, path: "app", overrides: overrides)
        let plain = try KustomizeBuilder().build(root: root, path: "app")
        let deployment = try #require(objects.first { $0["kind"]?.stringValue == "Deployment" })
        #expect(deployment[path: ["metadata", "labels", "team"]] == .string("blue"))
        #expect(deployment[path: ["metadata", "labels", "app"]] == .string("override"))
        #expect(deployment[path: ["metadata", "annotations", "owner"]] == .string("ops"))
        #expect(deployment[path: ["spec", "selector", "matchLabels"]] == ["app": "web"])
        #expect(deployment[path: ["spec", "template", "metadata", "labels"]] == ["app": "web"])
        #expect(deployment[path: ["spec", "template", "metadata", "annotations"]] == nil)
        let names = { (list: [JSONValue]) in list.compactMap { $0[path: ["metadata", "name"]]?.stringValue } }
        #expect(names(objects) == names(plain), "the ConfigMap hash does not change")
    }

    @Test("a Flux Kustomization spec is read into overrides")
    func fluxSpec() throws {
        let spec = try JSONParser.parse(
            Array(
                """
                {"path": "./app", "targetNamespace": "prod", "namePrefix": "a-", "nameSuffix": "-b",
                 "patches": [{"patch": "x: y", "target": {"kind": "Deployment", "labelSelector": "app=web"}},
                             {"patch": "z: w"}],
                 "images": [{"name": "nginx", "newTag": "1.2", "digest": "sha256:ab"}],
                 "components": ["../c"], "ignoreMissingComponents": true,
                 "commonMetadata": {"labels": {"l": "1"}, "annotations": {"a": "2"}}}
                """.utf8))
        let overrides = try KustomizationOverrides(fluxSpec: spec)
        #expect(
            overrides
                == KustomizationOverrides(
                    targetNamespace: "prod", namePrefix: "a-", nameSuffix: "-b",
                    patches: [
                        .init(patch: "x: y", target: .init(kind: "Deployment", labelSelector: "app=web")),
                        .init(patch: "z: w"),
                    ],
                    images: [.init(name: "nginx", newTag: "1.2", digest: "sha256:ab")], components: ["../c"],
                    ignoreMissingComponents: true, commonMetadata: .init(labels: ["l": "1"], annotations: ["a": "2"])))
        let bad = try JSONParser.parse(Array(#"{"commonMetadata": {"labels": {"l": 1}}}"#.utf8))
        #expect(throws: KustomizeError.self) { try KustomizationOverrides(fluxSpec: bad) }
        #expect(KustomizationOverrides().isEmpty && !overrides.isEmpty)
    }

    @Test("a generated kustomization fails on a .yaml file that is not a manifest, naming it, as Flux does")
    func generatedRejectsNonManifest() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("overrides-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try write(["app/cm.yaml": Self.configMap, "app/values.yaml": "replicas: 2\n"], in: root)
        do {
            _ = try KustomizeBuilder().build(root: root, path: "app", overrides: KustomizationOverrides())
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("app/values.yaml"))
        }
        let empty = root.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        #expect(try KustomizeBuilder().build(root: root, path: "empty").isEmpty)
    }
}
