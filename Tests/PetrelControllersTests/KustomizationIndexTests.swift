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
}
