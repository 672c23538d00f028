import Foundation
import KubeClient
import KubeCore
import PetrelAPI
import Testing

@testable import PetrelControllers

/// The Kustomization controller's drift check every `spec.interval`, with the objects verified by the previous
/// apply skipping their dry-run: drift is still corrected at the interval.
@Suite("Kustomization drift check with verified objects", .serialized)
struct KustomizationDriftCheckTests {
    typealias H = KustomizationHarness

    @Test("at each interval a hand edit is reverted and a deleted object recreated; untouched objects stay as they are")
    func driftCorrectedAtInterval() async throws {
        try await H.run { h in
            let files = [
                "deploy/a.yaml": H.configMapYAML("a", ["v": "1"]),
                "deploy/b.yaml": H.configMapYAML("b", ["v": "1"]),
                "deploy/c.yaml": H.configMapYAML("c", ["v": "1"]),
            ]
            try await h.setSource("repo", artifact: try h.publish(files, name: "rev1", revision: H.revision("1")))
            try await h.createKustomization("app", source: "repo") { $0.interval = .seconds(1) }
            try await h.waitForReady("app", status: .true, reason: "ReconciliationSucceeded")
            let untouched = try #require(try await h.configMap("c")?.kube.resourceVersion)
            // Let several drift checks pass (the first verifies, the next ones reuse).
            try await Task.sleep(for: .seconds(3))

            _ = try await h.client.patch(
                H.configMaps, namespace: h.namespace, name: "a", .merge(["data": ["v": "edited"]]),
                options: QueryOptions(fieldManager: "kubectl-edit"))
            _ = try await h.client.delete(H.configMaps, namespace: h.namespace, name: "b")
            try await h.eventually("drift corrected at the interval") {
                let a = try await h.configMap("a")?[path: ["data", "v"]]
                let b = try await h.configMap("b")?[path: ["data", "v"]]
                return a == "1" && b == "1"
            }
            #expect(try await h.configMap("c")?.kube.resourceVersion == untouched, "no write to an unchanged object")

            // Edited again after being restored (its verification came from the restoring apply): restored again.
            try await Task.sleep(for: .seconds(2))
            _ = try await h.client.patch(
                H.configMaps, namespace: h.namespace, name: "a", .merge(["data": ["v": "again"]]),
                options: QueryOptions(fieldManager: "kubectl-edit"))
            try await h.eventually("second drift corrected") {
                try await h.configMap("a")?[path: ["data", "v"]] == "1"
            }
            let ks = try await h.kustomization("app")
            #expect(ks?.status.conditions.find(ConditionType.ready)?.status == .true)
            #expect(ks?.status.inventory?.entries.count == 3)
        }
    }
}
