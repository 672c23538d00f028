import Foundation
import KubeClient
import KubeCore
import PetrelTesting
import Testing

/// SIGTERM while the controller is applying a new revision.
@Suite("Faults: graceful shutdown", .serialized)
struct ShutdownTests {
    @Test("SIGTERM during reconciles: exit 0 within the graceful timeout and margin, Lease released, objects whole")
    func sigtermDuringReconciles() async throws {
        let objects = ChaosScale.pick(short: 5, long: 30)
        try await FaultCluster.with(kustomizations: 4, objects: objects) { cluster in
            // A low client rate limit keeps the apply of a revision busy for seconds, so SIGTERM meets reconciles in
            // flight (the drain then runs into its 3 s timeout and cancels them).
            let controller = try ControllerProcess(
                kubeconfig: cluster.kubeconfig, directory: cluster.directory, leaderElection: true,
                gracefulShutdownTimeout: "3s", extraArguments: ["--kube-api-qps", "8", "--kube-api-burst", "4"])
            try await controller.waitUntilReady()
            let first = try cluster.repository.head()
            #expect(await cluster.expectConvergence(revision: 1, sha: first, controller: controller))
            let sha = try await cluster.commit(revision: 2)
            // Wait until the new revision is being applied, then stop the controller in the middle of it.
            _ = try await eventually("the first object of revision 2", poll: .milliseconds(20)) { () async -> Bool? in
                let list = try? await cluster.client.list(FaultCluster.configMaps, namespace: FaultCluster.namespace)
                return (list?.items ?? []).contains { $0[path: ["data", "revision"]]?.stringValue == "2" } ? true : nil
            }
            let clock = ContinuousClock()
            let signalled = clock.now
            controller.process.terminate()
            // Generous: the timeout (3 s) plus the margin (5 s) is the contract; `make chaos` reports the real time.
            let status = await controller.process.waitForExit(within: .seconds(60))
            let shutdown = signalled.duration(to: clock.now)
            #expect(status == 0, "exit status \(String(describing: status)); log:\n\(controller.log.suffix(3000))")
            let lease = try await cluster.client.get(FaultCluster.leases, namespace: "default", name: "petrel-controller")
            #expect(lease[path: ["spec", "holderIdentity"]]?.stringValue == "", "the Lease was released")
            // Each object is whole: at revision 1 or 2, never anything else.
            let list = try await cluster.client.list(FaultCluster.configMaps, namespace: FaultCluster.namespace)
            let revisions = list.items.compactMap { $0[path: ["data", "revision"]]?.stringValue }
            #expect(revisions.count == 4 * objects)
            #expect(Set(revisions).isSubset(of: ["1", "2"]), "\(Set(revisions))")
            // A new controller finishes the job.
            let next = try ControllerProcess(
                kubeconfig: cluster.kubeconfig, directory: cluster.directory, name: "controller-2", leaderElection: true)
            #expect(await cluster.expectConvergence(revision: 2, sha: sha, controller: next))
            let drained = controller.log.contains("graceful shutdown: finishing in-flight reconciles")
            #expect(drained, "SIGTERM met reconciles in flight")
            ChaosScale.report(
                "graceful-shutdown",
                [("timeout_s", "3"), ("shutdown_s", ChaosScale.seconds(shutdown)),
                 ("drain_timed_out", "\(controller.log.contains("graceful shutdown timed out"))"),
                 ("mixed_revisions", "\(Set(revisions).count > 1)"), ("invariants", status == 0 ? "1/1" : "0/1")])
            await next.process.stop()
        }
    }
}
