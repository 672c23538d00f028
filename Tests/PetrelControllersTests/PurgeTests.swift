import Foundation
import KubeClient
import KubeCore
import PetrelAPI
import PetrelTesting
import Testing

@testable import PetrelControllers

/// S23 of the security review: what the controllers keep per object (memos, stored artifacts) goes when the object
/// leaves the informer, whether or not its finalizer ran, and artifacts of objects deleted while the controller was
/// down go after its first list.
@Suite("Per-object state is purged when its object is gone", .serialized)
struct PurgeTests {
    typealias H = KustomizationHarness

    @Test("a Kustomization deleted without its finalizer leaves nothing in the memos", .timeLimit(.minutes(2)))
    func kustomizationMemos() async throws {
        let memo = AppliedSetMemo()
        let verified = VerifiedObjectsMemo()
        try await H.run(memo: memo, verifiedObjects: verified) { h in
            let artifact = try h.publish(
                ["deploy/a.yaml": H.configMapYAML("a", ["v": "1"])], name: "rev1", revision: H.revision("1"))
            try await h.setSource("repo", artifact: artifact)
            for name in ["gone", "kept"] { try await h.createKustomization(name, source: "repo") }
            for name in ["gone", "kept"] {
                try await h.waitForReady(name, status: .true, reason: ConditionReason.reconciliationSucceeded)
            }
            #expect(memo.count == 2)
            #expect(verified.count == 2)
            // As a user does when a controller is not running: strip the finalizer, then delete.
            try await Self.deleteWithoutFinalizer(
                h.client, Kustomization.groupVersionResource, namespace: h.namespace, name: "gone")
            try await h.eventually("the memos forget the deleted Kustomization") {
                memo.count == 1 && verified.count == 1
            }
        }
    }

    @Test(
        "a GitRepository's artifacts go when it is deleted without its finalizer, or was deleted while the controller was down",
        .timeLimit(.minutes(2)))
    func gitRepositoryStorage() async throws {
        try await withTemporaryDirectory { tmp in
            let root = tmp.appendingPathComponent("srv")
            let repo = try GitTestRepository(root: root)
            _ = try repo.commit("first", files: ["deploy/app.yaml": "v: 1\n"])
            try await withGitDaemon(root: root) { daemon in
                let url = daemon.url(repo.relativePath)
                try await withGitRepositoryController(tmp: tmp) { env in
                    // Left by a GitRepository deleted while the controller was down.
                    let ghost = env.storage.appendingPathComponent("gitrepository/\(env.namespace)/ghost")
                    try FileManager.default.createDirectory(at: ghost, withIntermediateDirectories: true)
                    try Data("old".utf8).write(to: ghost.appendingPathComponent("old.tar.gz"))

                    try await env.create("app", spec: try gitSpec(url))
                    let ready = try await env.waitReady("app")
                    let file = try #require(env.file(ready.status.artifact))
                    #expect(FileManager.default.fileExists(atPath: file.path))
                    #expect(!FileManager.default.fileExists(atPath: ghost.path), "swept after the first list")

                    try await Self.deleteWithoutFinalizer(
                        env.client, GitRepository.groupVersionResource, namespace: env.namespace, name: "app")
                    _ = try await eventually("the artifacts of the deleted GitRepository are removed") {
                        FileManager.default.fileExists(atPath: file.deletingLastPathComponent().path) ? nil : true
                    }
                }
            }
        }
    }

    /// Strips every finalizer and deletes the object in the version without them (the reconciler may add its
    /// finalizer back in between: then again), so the controller never sees a deletion it could finalize, as
    /// when it is down.
    static func deleteWithoutFinalizer(
        _ client: KubeClient, _ resource: GroupVersionResource, namespace: String, name: String
    ) async throws {
        for _ in 0..<50 {
            let patched = try await client.patch(
                resource, namespace: namespace, name: name, .merge(["metadata": ["finalizers": .null]]))
            let version = patched[path: ["metadata", "resourceVersion"]]?.stringValue
            do {
                _ = try await client.delete(
                    resource, namespace: namespace, name: name,
                    options: DeleteOptions(preconditionResourceVersion: version))
                return
            } catch {
                guard error.isConflict else { throw error }
            }
        }
        Issue.record("could not delete \(name) without its finalizer")
    }
}
