import Foundation
import KubeClient
import KubeCore
import Logging
import PetrelAPI
import Testing

@testable import PetrelControllers

/// The Kustomization controller's shortcuts for many Kustomizations of one source: an unchanged build after a new
/// source revision records the revision without touching the objects; a requested reconcile still applies.
@Suite("Kustomization controller at scale", .serialized)
struct KustomizationScaleTests {
    typealias H = KustomizationHarness

    @Test("a new revision with an identical build records the revision and skips the apply; requestedAt applies")
    func identicalBuildSkips() async throws {
        try await H.run { h in
            let files = [
                "app-a/cm.yaml": H.configMapYAML("a", ["v": "1"]),
                "app-b/cm.yaml": H.configMapYAML("b", ["v": "1"]),
            ]
            try await h.setSource("repo", artifact: try h.publish(files, name: "rev1", revision: H.revision("1")))
            try await h.createKustomization("app-a", source: "repo", path: "./app-a")
            try await h.createKustomization("app-b", source: "repo", path: "./app-b")
            try await h.waitForReady("app-a", status: .true, reason: "ReconciliationSucceeded", messageContains: H.revision("1"))
            try await h.waitForReady("app-b", status: .true, reason: "ReconciliationSucceeded", messageContains: H.revision("1"))

            // A hand edit of b, then a revision that changes only a.
            _ = try await h.client.patch(
                H.configMaps, namespace: h.namespace, name: "b", .merge(["data": ["v": "edited"]]),
                options: QueryOptions(fieldManager: "kubectl-edit"))
            var changed = files
            changed["app-a/cm.yaml"] = H.configMapYAML("a", ["v": "2"])
            try await h.setSource("repo", artifact: try h.publish(changed, name: "rev2", revision: H.revision("2")))
            try await h.waitForReady("app-a", status: .true, reason: "ReconciliationSucceeded", messageContains: H.revision("2"))
            let b = try await h.waitForReady(
                "app-b", status: .true, reason: "ReconciliationSucceeded", messageContains: H.revision("2"))
            #expect(try await h.configMap("a")?[path: ["data", "v"]] == "2")
            #expect(b?.status.lastAppliedRevision == H.revision("2"))
            #expect(b?.status.inventory?.entries.map(\.id) == ["\(h.namespace)_b__ConfigMap"])
            // b's build did not change: nothing was applied, so the hand edit waits for the drift check.
            #expect(try await h.configMap("b")?[path: ["data", "v"]] == "edited")

            // A requested reconcile applies in full and reverts the edit.
            try await h.patchKustomization(
                "app-b", ["metadata": ["annotations": [WellKnown.reconcileRequestedAtAnnotation: "now-1"]]])
            try await h.eventually("b restored") { try await h.configMap("b")?[path: ["data", "v"]] == "1" }
            try await h.eventually("request handled") {
                try await h.kustomization("app-b")?.status.lastHandledReconcileAt == "now-1"
            }
        }
    }
}
