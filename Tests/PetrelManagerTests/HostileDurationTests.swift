import Foundation
import PetrelAPI
import PetrelTesting
import Testing

/// S1 of the security review, through the interfaces where the input arrives: durations past every numeric limit
/// applied with `kubectl` to the local API server while the built `petrel-controller` runs.
@Suite("Hostile durations: refused by the CRD, reported (never a crash) when a lenient server stores them", .serialized)
struct HostileDurationTests {
    /// The review's proof of concept (`security-poc/tenant-crash-and-leak.yaml`): trapped `GoDuration.parse` in the
    /// fraction's addition, and the jitter of a GitRepository's requeue.
    static let proofOfConcept = """
        apiVersion: kustomize.petrel.dev/v1
        kind: Kustomization
        metadata: {name: crash, namespace: team}
        spec:
          interval: 5124095.9h
          prune: false
          sourceRef: {kind: GitRepository, name: anything}
        ---
        apiVersion: source.petrel.dev/v1
        kind: GitRepository
        metadata: {name: crash-jitter, namespace: team}
        spec:
          url: https://example.invalid/podinfo
          interval: 2562047h
          ref: {branch: master}
        """

    @Test(
        "the CRDs refuse a duration past its bounds with a validation error naming the field", .timeLimit(.minutes(3)))
    func crdRefuses() async throws {
        try await ControllerCluster.run(crds: try ControllerCluster.crdTexts()) { cluster in
            let refused = try await cluster.apply(Self.proofOfConcept, name: "poc", check: false)
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("spec.interval"), "\(refused.stderr)")
            #expect(refused.stderr.contains("should match"), "\(refused.stderr)")
            let tooLong = try await cluster.apply(
                """
                apiVersion: source.petrel.dev/v1
                kind: GitRepository
                metadata: {name: long, namespace: team}
                spec: {url: "https://example.invalid/r", interval: "1s1s1s1s1s1s1s1s1s1s1s1s1s1s1s1s1s"}
                """, name: "long", check: false)
            #expect(tooLong.status != 0)
            #expect(tooLong.stderr.contains("at most 32"), "\(tooLong.stderr)")
            let fine = try await cluster.apply(
                """
                apiVersion: source.petrel.dev/v1
                kind: GitRepository
                metadata: {name: fine, namespace: team}
                spec: {url: "https://example.invalid/r", interval: "9999h", timeout: "99999m"}
                """, name: "fine", check: false)
            #expect(fine.status == 0, "\(fine.stderr)")
        }
    }

    @Test(
        "on a lenient server the controller survives the proof of concept, reports the field and keeps working",
        .timeLimit(.minutes(4)))
    func lenientServer() async throws {
        try await withTemporaryDirectory("petrel-s1") { tmp in
            let repo = try GitTestRepository(root: tmp.appendingPathComponent("git"), name: "app")
            _ = try repo.commit(
                "first",
                files: [
                    "deploy/configmap.yaml":
                        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n"
                ])
            try await withGitDaemon(root: tmp.appendingPathComponent("git")) { daemon in
                try await ControllerCluster.run(crds: try ControllerCluster.lenientCRDs()) { cluster in
                    try await cluster.apply(Self.proofOfConcept, name: "poc")
                    try await cluster.apply(Self.healthy(url: daemon.url(repo.relativePath)), name: "healthy")

                    for (resource, name) in [("kustomization", "crash"), ("gitrepository", "crash-jitter")] {
                        let stalled = try await cluster.waitForCondition(
                            resource, name, "Stalled", status: "True", reason: ConditionReason.invalidObject)
                        #expect(stalled.contains("spec.interval"), "\(stalled)")
                        let ready = try await cluster.condition(resource, name, "Ready")
                        #expect(ready.hasPrefix("False \(ConditionReason.invalidObject) "), "\(ready)")
                    }
                    // Other objects are reconciled as usual: the process did not trap.
                    try await cluster.waitForCondition(
                        "kustomization", "app", "Ready", status: "True", reason: ConditionReason.reconciliationSucceeded
                    )
                    let events = try await cluster.events()
                    #expect(
                        events.split(separator: "\n").contains {
                            $0.hasPrefix("Warning \(ConditionReason.invalidObject):") && $0.contains("spec.interval")
                        }, "\(events)")

                    // An object edited into an invalid one, then deleted: its finalizer is released, it goes away.
                    try await cluster.kubectlChecked([
                        "patch", "kustomization", "app", "-n", "team", "--type", "merge", "-p",
                        #"{"spec":{"retryInterval":"307445734.9m"}}"#,
                    ])
                    let edited = try await cluster.waitForCondition(
                        "kustomization", "app", "Stalled", status: "True", reason: ConditionReason.invalidObject)
                    #expect(edited.contains("spec.retryInterval"), "\(edited)")
                    try await cluster.kubectlChecked(["delete", "kustomization", "app", "-n", "team", "--wait=false"])
                    _ = try await eventually("the invalid Kustomization is deleted", timeout: .seconds(60)) {
                        let left = try await cluster.kubectl([
                            "get", "kustomization", "app", "-n", "team", "--ignore-not-found", "-o", "name",
                        ])
                        return left.status == 0 && left.stdout.isEmpty ? true : nil
                    }
                    #expect(try await cluster.isHealthy())
                    let log = cluster.controller.log
                    #expect(!log.contains("Fatal error"), "\(log.suffix(4_000))")
                    #expect(!log.contains("overflow"), "\(log.suffix(4_000))")
                }
            }
        }
    }

    static func healthy(url: String) -> String {
        """
        apiVersion: source.petrel.dev/v1
        kind: GitRepository
        metadata: {name: app, namespace: team}
        spec: {url: "\(url)", interval: 1h, ref: {branch: main}}
        ---
        apiVersion: kustomize.petrel.dev/v1
        kind: Kustomization
        metadata: {name: app, namespace: team}
        spec:
          interval: 1h
          prune: true
          path: ./deploy
          targetNamespace: team
          sourceRef: {kind: GitRepository, name: app}
        """
    }
}
