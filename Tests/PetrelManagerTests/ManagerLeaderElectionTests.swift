import ControllerRuntime
import Foundation
import KubeClient
import KubeCore
import LocalAPIServer
import Logging
import PetrelManager
import Testing

@Suite("Manager leader election against the local API server")
struct ManagerLeaderElectionTests {
    /// A lease long enough that a handover faster than half of it proves the lease was released, not left to
    /// expire, even when the whole suite shares two loaded cores (stalls of 10 s and more were seen); the long renew
    /// deadline keeps such a stall from costing the leader its lease.
    static var timing: LeaderElectionStateMachine.Timing {
        var timing = LeaderElectionStateMachine.Timing()
        timing.leaseDuration = .seconds(120)
        timing.renewDeadline = .seconds(90)
        timing.retryPeriod = .milliseconds(250)
        return timing
    }

    static func manager(
        _ identity: String, lease: String, namespace: String, client: KubeClient
    ) -> (Manager, CountingReconciler) {
        let election = LeaderElectionConfiguration(namespace: namespace, name: lease, identity: identity, timing: timing)
        let manager = Manager(
            client: client, configuration: TestEnvironment.configuration(leaderElection: election),
            logger: TestEnvironment.logger)
        let reconciler = CountingReconciler()
        manager.add(
            Controller(
                name: "configmaps",
                informer: manager.informers.informer(for: TestEnvironment.configMaps, namespace: namespace),
                reconciler: reconciler, logger: TestEnvironment.logger))
        return (manager, reconciler)
    }

    @Test("of two managers exactly one runs its controller; a graceful stop hands over at once")
    func oneLeaderThenHandover() async throws {
        try await LocalAPIServer.withRunning { url in
            let client = try KubeClient(config: KubeConfig(server: url.absoluteString), logger: TestEnvironment.logger)
            let namespace = TestEnvironment.randomName("election")
            try await TestEnvironment.createNamespace(namespace, client: client)
            for index in 0..<3 {
                try await TestEnvironment.createConfigMap("cm-\(index)", namespace: namespace, client: client)
            }
            let (first, firstReconciler) = Self.manager("first", lease: "petrel", namespace: namespace, client: client)
            let (second, secondReconciler) = Self.manager("second", lease: "petrel", namespace: namespace, client: client)
            let runningFirst = RunningManager.start(first)
            #expect(await eventually { firstReconciler.count >= 3 })
            let runningSecond = RunningManager.start(second)
            #expect(await eventually { second.healthPort != nil && second.isReady }, "a standby is ready")
            try await Task.sleep(for: .seconds(1))
            #expect(first.isLeading && !second.isLeading)
            #expect(secondReconciler.count == 0, "the standby must not reconcile")
            let standbyPort = try #require(second.healthPort)
            #expect(try await httpGet("http://127.0.0.1:\(standbyPort)/readyz").status == 200)

            let clock = ContinuousClock()
            let stopped = clock.now
            let result = await runningFirst.stop()
            #expect((try? result.get()) != nil, "a graceful stop of the leader returns normally")
            let lease = try await client.get(TestEnvironment.leases, namespace: namespace, name: "petrel")
            #expect(
                ["", "second"].contains(lease[path: ["spec", "holderIdentity"]]?.stringValue ?? ""),
                "the leader released the lease")
            #expect(await eventually(.seconds(60)) { secondReconciler.count >= 3 })
            #expect(
                stopped.duration(to: clock.now) < .seconds(60),
                "the standby took over before the 120 s lease could expire")
            #expect(second.isLeading)
            let holder = try await client.get(TestEnvironment.leases, namespace: namespace, name: "petrel")
            #expect(holder[path: ["spec", "holderIdentity"]]?.stringValue == "second")
            await runningSecond.stop()
            try await client.shutdown()
        }
    }

    @Test("losing the lease to another holder stops the controllers and makes run() throw")
    func lostLeaseThrows() async throws {
        try await LocalAPIServer.withRunning { url in
            let client = try KubeClient(config: KubeConfig(server: url.absoluteString), logger: TestEnvironment.logger)
            let namespace = TestEnvironment.randomName("lost")
            try await TestEnvironment.createNamespace(namespace, client: client)
            let (manager, _) = Self.manager("victim", lease: "petrel", namespace: namespace, client: client)
            let running = RunningManager.start(manager)
            #expect(await eventually { manager.isLeading })
            // Another holder takes the lease (as after a partition in which this instance failed to renew).
            // The victim renews concurrently, so an update may meet a Conflict: read again and retry.
            var usurped = false
            for _ in 0..<20 where !usurped {
                var lease = try await client.get(TestEnvironment.leases, namespace: namespace, name: "petrel")
                lease.set(path: ["spec", "holderIdentity"], to: "usurper")
                do {
                    _ = try await client.update(TestEnvironment.leases, namespace: namespace, lease)
                    usurped = true
                } catch let error as KubeClientError where error.isConflict {
                    continue
                }
            }
            #expect(usurped, "the test took the lease over")
            let outcome = await running.task.value
            switch outcome {
            case .success:
                Issue.record("run() returned normally after losing the lease")
            case .failure(let error):
                #expect("\(error)".contains("lost the leader election lease"), "unexpected error: \(error)")
            }
            #expect(!manager.isLeading)
            try await client.shutdown()
        }
    }
}
