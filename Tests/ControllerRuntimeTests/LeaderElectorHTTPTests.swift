@testable import ControllerRuntime
import Foundation
import KubeClient
import KubeCore
import LocalAPIServer
import Logging
import Synchronization
import Testing

private final class Counter: Sendable {
    let value = Mutex(0)
    func add(_ delta: Int) { value.withLock { $0 += delta } }
    var current: Int { value.withLock { $0 } }
}

@Suite("Leader election over a Lease on the local API server")
struct LeaderElectorHTTPTests {
    static var fastTiming: LeaderElectionStateMachine.Timing {
        var timing = LeaderElectionStateMachine.Timing()
        // Long enough that "took over after a release" and "waited for expiry" stay apart even when the whole test
        // suite shares two cores.
        timing.leaseDuration = .seconds(16)
        timing.renewDeadline = .seconds(12)
        timing.retryPeriod = .milliseconds(200)
        return timing
    }

    @Test("exactly one candidate leads; a graceful stop hands over at once, a crash only after the lease expires")
    func handover() async throws {
        try await LocalAPIServer.withRunning { url in
            let client = try KubeClient(config: KubeConfig(server: url.absoluteString), logger: Logger(label: "test"))
            let electors = ["a", "b", "c"].map {
                LeaderElector(
                    client: client, namespace: "default", name: "petrel-leader", identity: $0, timing: Self.fastTiming,
                    logger: Logger(label: "test"))
            }
            let leaders = Counter()
            let work: @Sendable () async -> Void = {
                leaders.add(1)
                while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(10)) }
                leaders.add(-1)
            }
            let first = Task { await electors[0].run(whileLeading: work) }
            #expect(await eventually { electors[0].isLeader })
            let second = Task { await electors[1].run(releaseOnExit: false, whileLeading: work) }
            try await Task.sleep(for: .seconds(1))
            #expect(!electors[1].isLeader, "a live lease is respected")
            #expect(await eventually { leaders.current == 1 }, "exactly one leader runs its work")

            // Graceful stop: the lease is released and the other candidate takes over well before it would expire.
            let clock = ContinuousClock()
            let stopped = clock.now
            first.cancel()
            await first.value
            let lease = try await client.get(LeaderElector.leases, namespace: "default", name: "petrel-leader")
            #expect(
                ["", "b"].contains(lease[path: ["spec", "holderIdentity"]]?.stringValue ?? ""),
                "a graceful stop releases the lease")
            #expect(await eventually { electors[1].isLeader })
            #expect(stopped.duration(to: clock.now) < .seconds(12), "handover after release must not wait for the 16 s expiry")
            #expect(await eventually { leaders.current == 1 }, "exactly one leader runs its work")

            // Crash: the leader stops without releasing; the next candidate waits for the lease to expire.
            let third = Task { await electors[2].run(whileLeading: work) }
            let crashed = clock.now
            second.cancel()
            _ = await second.value
            #expect(await eventually { electors[2].isLeader })
            #expect(crashed.duration(to: clock.now) >= .seconds(15), "without a release, the lease (16 s) must expire first")
            third.cancel()
            await third.value
            try await client.shutdown()
        }
    }
}
