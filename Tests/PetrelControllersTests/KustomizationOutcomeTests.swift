import ControllerRuntime
import Foundation
import KubeClient
import KubeCore
import Logging
import PetrelAPI
import Testing

@testable import PetrelControllers

/// How the Kustomization controller's outcomes reach the runtime: counted, retried in the right lane, and reported
/// even when the failure message is far larger than a condition may hold.
@Suite("Kustomization outcomes", .serialized)
struct KustomizationOutcomeTests {
    typealias H = KustomizationHarness

    /// A ConfigMap the API server refuses in the dry-run with a message quoting its label value: 40 Ki characters,
    /// a quarter of them two bytes long, so a cut can fall inside one.
    static let hugeLabelValue = String(repeating: "abcé", count: 10_240)
    static let refusedConfigMap = """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: refused
          labels:
            bad: "\(hugeLabelValue)"
        data:
          v: "1"
        """

    @Test(
        "a failed reconcile counts in controller_runtime_reconcile_errors_total and is retried in the HIGH lane"
    )
    func failureIsAnErrorRetriedInTheEventLane() async throws {
        try await H.run { h in
            let artifact = try h.publish(
                ["deploy/a.yaml": "kind: [unclosed\n  : :"], name: "rev1", revision: H.revision("1"))
            try await h.setSource("repo", artifact: artifact)
            // Created by an event (HIGH); the retry interval (60 m) keeps the retry pending while the test looks.
            try await h.createKustomization("app", source: "repo")
            try await h.waitForReady("app", status: .false, reason: "BuildFailed")
            let key = ObjectKey(namespace: h.namespace, name: "app")
            try await h.eventually("the failure counted as an error") {
                h.controller.metrics.snapshot.totals[.error, default: 0] >= 1
            }
            #expect(h.controller.metrics.snapshot.totals[.requeueAfter, default: 0] == 0)
            #expect(
                await h.controller.queue.pendingPriority(key) == .high, "retried in the lane of its event")
            #expect(
                await h.controller.queue.failureCount(key) >= 1, "the failure grows the key's backoff")
        }
    }

    @Test(
        "a 40 Ki-character failure message gives a truncated Ready condition and a Warning Event on the API server"
    )
    func hugeFailureMessage() async throws {
        try await H.run(recorder: { client, logger in KubeEventRecorder(client: client, logger: logger)
        }) { h in
            let artifact = try h.publish(
                ["deploy/refused.yaml": Self.refusedConfigMap], name: "rev1", revision: H.revision("1"))
            try await h.setSource("repo", artifact: artifact)
            try await h.createKustomization("app", source: "repo")
            let ks = try await h.waitForReady("app", status: .false, reason: "ReconciliationFailed")
            let message = try #require(ks?.status.conditions.find(ConditionType.ready)?.message)
            #expect(message.utf8.count <= Condition.maxMessageBytes)
            #expect(message.hasSuffix(Condition.truncationMarker))
            #expect(message.contains("refused"), "the start of the message is kept")
            #expect(
                message.unicodeScalars.allSatisfy { $0 != "\u{FFFD}" }, "cut on a character boundary")

            let events = GroupVersionResource(group: "", version: "v1", resource: "events")
            try await h.eventually("a Warning Event about the failure") {
                let list = try await h.client.list(events, namespace: h.namespace)
                return list.items.contains {
                    $0["type"] == "Warning" && $0["reason"] == "ReconciliationFailed"
                        && $0[path: ["involvedObject", "name"]] == "app"
                }
            }
        }
    }
}
