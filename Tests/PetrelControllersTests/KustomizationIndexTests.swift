import ControllerRuntime
import Foundation
import KubeCore
import PetrelAPI
import Testing

@testable import PetrelControllers

@Suite("Kustomization source index, revision predicate and path handling")
struct KustomizationIndexTests {
    @Test("a Kustomization is filed under its source's namespace/name, defaulting to its own namespace")
    func sourceIndex() throws {
        let local = try JSONParser.parse(
            #"{"metadata":{"name":"app","namespace":"apps"},"spec":{"sourceRef":{"kind":"GitRepository","name":"repo"}}}"#
        )
        let remote = try JSONParser.parse(
            #"{"metadata":{"name":"app","namespace":"apps"},"spec":{"sourceRef":{"kind":"GitRepository","name":"repo","namespace":"flux"}}}"#
        )
        #expect(KustomizationController.sourceIndexValues(local) == ["apps/repo"])
        #expect(KustomizationController.sourceIndexValues(remote) == ["flux/repo"])
        #expect(KustomizationController.sourceIndexValues(["metadata": ["name": "x"]]) == [])
    }

    @Test("dependents are filed under each dependency; only readiness, revision or generation changes requeue them")
    func dependencyIndex() throws {
        let dependent = try JSONParser.parse(
            #"{"metadata":{"name":"b","namespace":"apps"},"spec":{"dependsOn":[{"name":"a"},{"name":"infra","namespace":"ops"}]}}"#
        )
        #expect(KustomizationController.dependencyIndexValues(dependent) == ["apps/a", "ops/infra"])
        let key = ObjectKey(namespace: "apps", name: "a")
        let old = try JSONParser.parse(
            #"{"metadata":{"name":"a"},"status":{"observedGeneration":1,"conditions":[{"type":"Ready","status":"False"}]}}"#
        )
        var ready = old
        ready.set(path: ["status", "conditions"], to: [["type": "Ready", "status": "True"]])
        var touched = old
        touched.set(path: ["metadata", "resourceVersion"], to: "9")
        #expect(KustomizationController.readinessChanged(.applied(key, old: old, new: ready)))
        #expect(!KustomizationController.readinessChanged(.applied(key, old: old, new: touched)))
        #expect(!KustomizationController.readinessChanged(.applied(key, old: nil, new: old)))
    }

    @Test("only a new artifact revision or digest, a new source or a deleted one requeues Kustomizations")
    func revisionPredicate() throws {
        let key = ObjectKey(namespace: "apps", name: "repo")
        let old = try JSONParser.parse(
            #"{"metadata":{"name":"repo","resourceVersion":"1"},"status":{"artifact":{"revision":"main@sha1:1","digest":"sha256:a"}}}"#
        )
        var touched = old
        touched.set(path: ["metadata", "resourceVersion"], to: "2")
        touched.set(path: ["status", "conditions"], to: [])
        var newRevision = touched
        newRevision.set(path: ["status", "artifact", "revision"], to: "main@sha1:2")
        var newDigest = touched
        newDigest.set(path: ["status", "artifact", "digest"], to: "sha256:b")
        #expect(!KustomizationController.sourceRevisionChanged(.applied(key, old: old, new: touched)))
        #expect(KustomizationController.sourceRevisionChanged(.applied(key, old: old, new: newRevision)))
        #expect(KustomizationController.sourceRevisionChanged(.applied(key, old: old, new: newDigest)))
        #expect(KustomizationController.sourceRevisionChanged(.applied(key, old: nil, new: old)))
        #expect(KustomizationController.sourceRevisionChanged(.deleted(key, old)))
    }

    @Test("spec.path is normalised, and paths leaving the artifact or missing from it are refused")
    func paths() throws {
        #expect(ManifestBuilder.normalisedPath(nil) == ".")
        #expect(ManifestBuilder.normalisedPath("./") == ".")
        #expect(ManifestBuilder.normalisedPath("./apps/prod/") == "apps/prod")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ks-path-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        for path in ["../outside", "./missing"] {
            let spec = KustomizationSpec(
                sourceRef: CrossNamespaceSourceReference(name: "repo"), interval: .minutes(1), prune: true, path: path)
            let error = #expect(throws: KustomizationError.self) { try ManifestBuilder().build(root: root, spec: spec) }
            #expect(error?.reason == "ArtifactFailed")
        }
    }

    @Test("the spec's overrides reach the build: targetNamespace, namePrefix, patches, images and commonMetadata")
    func overrides() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ks-ovr-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("app"), withIntermediateDirectories: true)
        let deployment = """
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
                    image: nginx:1.25
            """
        try deployment.write(to: root.appendingPathComponent("app/web.yaml"), atomically: true, encoding: .utf8)
        var spec = KustomizationSpec(
            sourceRef: CrossNamespaceSourceReference(name: "repo"), interval: .minutes(1), prune: true, path: "./app")
        spec.targetNamespace = "prod"
        spec.namePrefix = "p-"
        spec.images = [Image(name: "nginx", newTag: "1.27")]
        spec.patches = [
            Patch(
                patch: #"[{"op": "replace", "path": "/spec/replicas", "value": 3}]"#,
                target: Selector(kind: "Deployment", name: "web"))
        ]
        spec.commonMetadata = CommonMetadata(labels: ["team": "a"], annotations: ["owner": "ops"])
        let objects = try ManifestBuilder().build(root: root, spec: spec)
        let web = try #require(objects.first)
        #expect(objects.count == 1)
        #expect(web[path: ["metadata", "name"]] == "p-web")
        #expect(web[path: ["metadata", "namespace"]] == "prod")
        #expect(web[path: ["metadata", "labels", "team"]] == "a")
        #expect(web[path: ["metadata", "annotations", "owner"]] == "ops")
        #expect(web[path: ["spec", "replicas"]] == .integer(3))
        #expect(web[path: ["spec", "template", "spec", "containers"]]?.arrayValue?.first?["image"] == "nginx:1.27")
    }

    @Test("the controller builds with Flux's LoadRestrictionsNone: an overlay may read a file beside its directory")
    func loadRestrictorNone() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ks-lr-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        for folder in ["app", "shared"] {
            try FileManager.default.createDirectory(
                at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        let files = [
            "app/kustomization.yaml": "resources:\n- cm.yaml\npatches:\n- path: ../shared/patch.yaml\n",
            "app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: \"1\"\n",
            "shared/patch.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  b: \"2\"\n",
        ]
        for (path, text) in files {
            try text.write(to: root.appendingPathComponent(path), atomically: true, encoding: .utf8)
        }
        let spec = KustomizationSpec(
            sourceRef: CrossNamespaceSourceReference(name: "repo"), interval: .minutes(1), prune: true, path: "./app")
        let objects = try ManifestBuilder().build(root: root, spec: spec)
        #expect(objects.first?[path: ["data", "b"]] == "2")
    }
}
