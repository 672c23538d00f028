import Foundation
import KubeClient
import KubeCore
import PetrelTesting
import Testing

/// The API server goes away and comes back (with its data directory, as an API server backed by etcd does) while
/// Git keeps changing: the controller must end with exactly the server's state and the last revision applied.
@Suite("Faults: API server restarts", .serialized)
struct APIServerRestartTests {
    @Test("three restarts during a stream of commits and a deletion: every Kustomization converges, informers match")
    func restartsDuringChanges() async throws {
        let commitsPerRestart = ChaosScale.pick(short: 2, long: 30)
        try await FaultCluster.with(kustomizations: 3, objects: 3) { cluster in
            let controller = try ControllerProcess(
                kubeconfig: cluster.kubeconfig, directory: cluster.directory,
                extraArguments: ["--watch-idle-timeout", "5s"])
            try await controller.waitUntilReady()
            let clock = ContinuousClock()
            var revision = 1
            var sha = try cluster.repository.head()
            #expect(await cluster.expectConvergence(revision: revision, sha: sha, controller: controller))
            var names = (0..<cluster.kustomizations).map(FaultCluster.kustomizationName)
            var recoveries: [Duration] = []
            for restart in 1...3 {
                for _ in 0..<commitsPerRestart {
                    revision += 1
                    sha = try await cluster.commit(revision: revision)
                    try await Task.sleep(for: .milliseconds(ChaosScale.pick(short: 300, long: 100)))
                }
                if restart == 2 {
                    // A deletion while the server is about to go away: the finalizer must still prune its objects.
                    let gone = names.removeLast()
                    _ = try await cluster.retrying("delete \(gone)") {
                        try await cluster.client.delete(
                            FaultCluster.kustomizationsResource, namespace: FaultCluster.namespace, name: gone)
                    }
                }
                try await cluster.apiServer.restart()
                let back = clock.now
                if await cluster.expectConvergence(revision: revision, sha: sha, names: names, controller: controller) {
                    recoveries.append(back.duration(to: clock.now))
                }
            }
            revision += 1
            sha = try await cluster.commit(revision: revision)
            #expect(await cluster.expectConvergence(revision: revision, sha: sha, names: names, controller: controller))
            let differences = try await eventually("informers to match the server") { () async -> [String]? in
                let found = await cluster.informerDifferences(controller)
                return found.isEmpty ? found : nil
            }
            #expect(differences.isEmpty)
            #expect(controller.isRunning, "the controller survived three restarts without exiting")
            ChaosScale.report(
                "apiserver-restarts",
                [("restarts", "3"), ("commits", "\(revision - 1)"),
                 ("recovery_s", recoveries.map(ChaosScale.seconds).joined(separator: ",")),
                 ("invariants", "\(recoveries.count + 1)/4")])
            await controller.process.stop()
        }
    }

    @Test("a restart that loses the watch history (410 on resume): the informers relist and miss nothing")
    func restartLosingHistory() async throws {
        try await FaultCluster.with(kustomizations: 3, objects: 2) { cluster in
            let controller = try ControllerProcess(
                kubeconfig: cluster.kubeconfig, directory: cluster.directory,
                extraArguments: ["--watch-idle-timeout", "5s"])
            try await controller.waitUntilReady()
            #expect(await cluster.expectConvergence(revision: 1, sha: try cluster.repository.head(), controller: controller))
            let relistsBefore = await controller.metric("petrel_informer_relists_total").values.reduce(0, +)
            // Cut the controller off, restart the server with a history of 2 events, and change more than that
            // while the controller cannot see it: its resume point is then older than anything the server kept.
            cluster.proxy.inject(.refuse)
            cluster.proxy.resetConnections()
            try await cluster.apiServer.restart(watchHistory: 2)
            let sha = try await cluster.commit(revision: 2)
            _ = try await cluster.client.delete(
                FaultCluster.kustomizationsResource, namespace: FaultCluster.namespace,
                name: FaultCluster.kustomizationName(2))
            for index in 0..<2 {
                _ = try await cluster.client.patch(
                    FaultCluster.kustomizationsResource, namespace: FaultCluster.namespace,
                    name: FaultCluster.kustomizationName(index), .merge(["metadata": ["labels": ["touched": "yes"]]]))
            }
            cluster.proxy.inject(.none)
            let names = [FaultCluster.kustomizationName(0), FaultCluster.kustomizationName(1)]
            #expect(await cluster.expectConvergence(revision: 2, sha: sha, names: names, controller: controller))
            let relists = try await eventually("a relist after 410") { () async -> Double? in
                let now = await controller.metric("petrel_informer_relists_total").values.reduce(0, +)
                return now > relistsBefore ? now : nil
            }
            #expect(relists > relistsBefore)
            let differences = try await eventually("informers to match the server") { () async -> [String]? in
                let found = await cluster.informerDifferences(controller)
                return found.isEmpty ? found : nil
            }
            #expect(differences.isEmpty)
            #expect(controller.isRunning)
            await controller.process.stop()
        }
    }
}
