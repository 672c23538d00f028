import Foundation
import KubeClient
import KubeCore
import PetrelTesting
import Testing

/// The network between the controller and the API server misbehaves (through the ``FaultProxy``).
@Suite("Faults: half-open watches and API errors", .serialized)
struct NetworkFaultTests {
    @Test("half-open connections: the informers notice within their idle deadline, re-watch and miss no change")
    func halfOpenWatch() async throws {
        try await FaultCluster.with(kustomizations: 3, objects: 2) { cluster in
            let controller = try ControllerProcess(
                kubeconfig: cluster.kubeconfig, directory: cluster.directory,
                extraArguments: ["--watch-idle-timeout", "3s"])
            try await controller.waitUntilReady()
            #expect(await cluster.expectConvergence(revision: 1, sha: try cluster.repository.head(), controller: controller))
            // Every open connection (the watches among them) goes silent for good; new connections work. The
            // changes below reach the controller only through a new watch (or a relist): its cache is stale
            // until its idle deadline fires. Watches end on their own only after 5 to 10 minutes.
            let clock = ContinuousClock()
            let silenced = clock.now
            cluster.proxy.silenceConnections()
            let sha = try await cluster.commit(revision: 2)
            _ = try await cluster.client.delete(
                FaultCluster.kustomizationsResource, namespace: FaultCluster.namespace,
                name: FaultCluster.kustomizationName(2))
            for index in 0..<2 {
                _ = try await cluster.client.patch(
                    FaultCluster.kustomizationsResource, namespace: FaultCluster.namespace,
                    name: FaultCluster.kustomizationName(index),
                    .merge(["spec": ["commonMetadata": ["labels": ["wave": "two"]]]]))
            }
            let names = [FaultCluster.kustomizationName(0), FaultCluster.kustomizationName(1)]
            // A bound under the watches' own 300 s timeout, so converging proves the idle deadline worked. Recovery
            // takes longer than the 3 s deadline: each pooled keep-alive connection that went silent holds one
            // request until the 30 s request timeout.
            #expect(
                await cluster.expectConvergence(
                    revision: 2, sha: sha, names: names, within: .seconds(240), controller: controller))
            let recovered = silenced.duration(to: clock.now)
            let labelled = try await cluster.client.list(
                FaultCluster.configMaps, namespace: FaultCluster.namespace, options: QueryOptions(labelSelector: "wave=two"))
            #expect(labelled.items.count == 4, "both spec changes were applied")
            #expect(controller.log.contains("received nothing for 3.0 seconds"), "the idle deadline fired")
            #expect(controller.isRunning)
            ChaosScale.report("half-open-watch", [("recovery_s", ChaosScale.seconds(recovered)), ("invariants", "1/1")])
            await controller.process.stop()
        }
    }

    @Test("429 with Retry-After, then 500, then 503: the controller backs off, then recovers without a restart")
    func apiErrors() async throws {
        let phase = ChaosScale.pick(short: Duration.seconds(6), long: .seconds(30))
        try await FaultCluster.with(kustomizations: 3, objects: 2) { cluster in
            let controller = try ControllerProcess(
                kubeconfig: cluster.kubeconfig, directory: cluster.directory,
                extraArguments: ["--watch-idle-timeout", "5s"])
            try await controller.waitUntilReady()
            #expect(await cluster.expectConvergence(revision: 1, sha: try cluster.repository.head(), controller: controller))
            let pid = controller.process.pid
            let sha = try await cluster.commit(revision: 2)
            var rates: [(String, Double)] = []
            let clock = ContinuousClock()
            for (name, fault) in [
                ("429", ProxyFault.httpError(status: 429, retryAfter: 1)), ("500", .httpError(status: 500, retryAfter: nil)),
                ("503", .httpError(status: 503, retryAfter: 2)),
            ] {
                let before = cluster.proxy.requestCount
                let start = clock.now
                cluster.proxy.inject(fault)
                cluster.proxy.dropConnections()  // watches in flight end; every new request meets the fault
                try await Task.sleep(for: phase)
                let seconds = Double(start.duration(to: clock.now).components.seconds)
                rates.append((name, Double(cluster.proxy.requestCount - before) / max(1, seconds)))
            }
            cluster.proxy.inject(.none)
            let recovering = clock.now
            #expect(await cluster.expectConvergence(revision: 2, sha: sha, controller: controller))
            let recovered = recovering.duration(to: clock.now)
            #expect(controller.isRunning && controller.process.pid == pid, "recovered without a restart")
            // A client that retried in a tight loop would send hundreds of requests a second; three Kustomizations,
            // a GitRepository and their informers backing off stay far below this bound.
            for (name, rate) in rates {
                #expect(rate < 40, "\(name): \(rate) requests/s while every request failed")
            }
            ChaosScale.report(
                "api-errors",
                rates.map { ("rps_\($0.0)", String(format: "%.1f", $0.1)) }
                    + [("recovery_s", ChaosScale.seconds(recovered)), ("invariants", "1/1")])
            await controller.process.stop()
        }
    }
}
