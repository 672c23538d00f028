import Foundation
import PetrelAPI
import PetrelTesting
import Testing

/// S13 of the security review: `interval: 0s` and `retryInterval: 0s` pass the CRD; they must not make the built
/// `petrel-controller` reconcile in a loop. Reconciles are counted on `/metrics`.
@Suite("Zero intervals: no hot loop")
struct HostileIntervalTests {
    @Test(
        "interval: 0s and retryInterval: 0s wait the minimum interval (10 s) between timer-driven reconciles",
        .timeLimit(.minutes(3)))
    func zeroIntervals() async throws {
        try await withTemporaryDirectory("petrel-s13") { tmp in
            let repo = try GitTestRepository(root: tmp.appendingPathComponent("git"), name: "app")
            _ = try repo.commit(
                "first",
                files: [
                    "deploy/configmap.yaml":
                        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n"
                ])
            try await withGitDaemon(root: tmp.appendingPathComponent("git")) { daemon in
                try await ControllerCluster.run(crds: try ControllerCluster.crdTexts()) { cluster in
                    try await cluster.apply(
                        """
                        apiVersion: source.petrel.dev/v1
                        kind: GitRepository
                        metadata: {name: app, namespace: team}
                        spec: {url: "\(daemon.url(repo.relativePath))", interval: 0s, ref: {branch: main}}
                        ---
                        apiVersion: kustomize.petrel.dev/v1
                        kind: Kustomization
                        metadata: {name: app, namespace: team}
                        spec:
                          interval: 0s
                          retryInterval: 0s
                          prune: true
                          path: ./deploy
                          targetNamespace: team
                          sourceRef: {kind: GitRepository, name: app}
                        ---
                        apiVersion: kustomize.petrel.dev/v1
                        kind: Kustomization
                        metadata: {name: failing, namespace: team}
                        spec:
                          interval: 0s
                          retryInterval: 0s
                          prune: true
                          sourceRef: {kind: GitRepository, name: missing}
                        """, name: "zero")
                    try await cluster.waitForCondition(
                        "kustomization", "app", "Ready", status: "True", reason: ConditionReason.reconciliationSucceeded
                    )
                    try await cluster.waitForCondition(
                        "kustomization", "failing", "Ready", status: "False", reason: ConditionReason.artifactFailed)
                    let before = (
                        try await cluster.reconciles("kustomization"), try await cluster.reconciles("gitrepository")
                    )
                    // A window of 6 s: at most one timer-driven reconcile of each object fits (10 s apart), plus
                    // events still in flight; a loop would run hundreds.
                    try await Task.sleep(for: .seconds(6))
                    let after = (
                        try await cluster.reconciles("kustomization"), try await cluster.reconciles("gitrepository")
                    )
                    #expect(before.0 > 0 && before.1 > 0, "the metrics count reconciles")
                    #expect(after.0 - before.0 <= 6, "Kustomization reconciles in 6 s: \(after.0 - before.0)")
                    #expect(after.1 - before.1 <= 3, "GitRepository reconciles in 6 s: \(after.1 - before.1)")
                }
            }
        }
    }
}
