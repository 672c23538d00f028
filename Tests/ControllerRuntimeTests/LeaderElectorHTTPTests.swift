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
    /// Timing with a lease of `lease`, a renew deadline of three quarters of it and a 200 ms retry period.
    static func timing(lease: Duration) -> LeaderElectionStateMachine.Timing {
        var timing = LeaderElectionStateMachine.Timing()
        timing.leaseDuration = lease
        timing.renewDeadline = lease * 3 / 4
        timing.retryPeriod = .milliseconds(200)
        return timing
    }

    static func electors(_ identities: [String], lease: Duration, client: KubeClient, name: String) -> [LeaderElector] {
        identities.map {
            LeaderElector(
                client: client, namespace: "default", name: name, identity: $0, timing: timing(lease: lease),
                logger: Logger(label: "test"))
        }
    }

    /// Work that counts how many leaders run at once.
    private static func work(_ leaders: Counter) -> @Sendable () async -> Void {
        {
            leaders.add(1)
            while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(10)) }
            leaders.add(-1)
        }
    }

    @Test("exactly one candidate leads; a graceful stop releases the lease and the other takes over at once")
    func handover() async throws {
        try await LocalAPIServer.withRunning { url in
            let client = try KubeClient(config: KubeConfig(server: url.absoluteString), logger: Logger(label: "test"))
            // A 120 s lease: a takeover within 60 s can only come from the release, even on a loaded machine.
            let electors = Self.electors(["a", "b"], lease: .seconds(120), client: client, name: "handover")
            let leaders = Counter()
            let first = Task { await electors[0].run(whileLeading: Self.work(leaders)) }
            #expect(await eventually { electors[0].isLeader })
            let second = Task { await electors[1].run(releaseOnExit: false, whileLeading: Self.work(leaders)) }
            try await Task.sleep(for: .seconds(1))
            #expect(!electors[1].isLeader, "a live lease is respected")
            #expect(await eventually { leaders.current == 1 }, "exactly one leader runs its work")

            let clock = ContinuousClock()
            let stopped = clock.now
            first.cancel()
            await first.value
            let lease = try await client.get(LeaderElector.leases, namespace: "default", name: "handover")
            #expect(
                ["", "b"].contains(lease[path: ["spec", "holderIdentity"]]?.stringValue ?? ""),
                "a graceful stop releases the lease")
            #expect(await eventually(.seconds(60)) { electors[1].isLeader })
            #expect(stopped.duration(to: clock.now) < .seconds(60), "the handover must not wait for the 120 s expiry")
            #expect(await eventually { leaders.current == 1 }, "exactly one leader runs its work")
            second.cancel()
            await second.value
            try await client.shutdown()
        }
    }

    @Test("a leader that stops without releasing is replaced only after its lease expires")
    func crashWaitsForExpiry() async throws {
        try await LocalAPIServer.withRunning { url in
            let client = try KubeClient(config: KubeConfig(server: url.absoluteString), logger: Logger(label: "test"))
            let electors = Self.electors(["a", "b"], lease: .seconds(4), client: client, name: "crash")
            let leaders = Counter()
            let first = Task { await electors[0].run(releaseOnExit: false, whileLeading: Self.work(leaders)) }
            #expect(await eventually { electors[0].isLeader })
            let second = Task { await electors[1].run(whileLeading: Self.work(leaders)) }
            let clock = ContinuousClock()
            let crashed = clock.now
            first.cancel()
            await first.value
            #expect(await eventually(.seconds(60)) { electors[1].isLeader })
            // A lower bound (load only makes it longer), less the 200 ms by which the candidate may have seen the
            // leader's last renewal before `crashed`, twice for safety.
            #expect(
                crashed.duration(to: clock.now) >= .milliseconds(3_600),
                "without a release, the 4 s lease must expire first")
            second.cancel()
            await second.value
            try await client.shutdown()
        }
    }
}
