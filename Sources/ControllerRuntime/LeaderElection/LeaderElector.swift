import Foundation
import KubeClient
import KubeCore
import Logging
import Synchronization

/// Leader election over a `coordination.k8s.io/v1` Lease, as client-go's `LeaderElector`.
///
/// ## Guarantees
/// - `whileLeading` runs only while this candidate holds the Lease, and is cancelled as soon as leadership is lost
///   (renewals failing past the renew deadline, or another holder seen).
/// - When ``run(releaseOnExit:whileLeading:)`` is cancelled, a leader releases the Lease (empty holder), so another
///   candidate takes over at once instead of after the lease duration.
///
/// ## Assumptions
/// Candidates' clocks may disagree: expiry is judged by this process's monotonic clock from when it last saw the
/// Lease change (``LeaderElectionStateMachine``).
package final class LeaderElector: Sendable {
    static let leases = GroupVersionResource(group: "coordination.k8s.io", version: "v1", resource: "leases")

    package let identity: String
    private let client: KubeClient
    private let namespace: String
    private let name: String
    private let timing: LeaderElectionStateMachine.Timing
    private let logger: Logger
    private let leading = Mutex(false)
    private let machine: Mutex<LeaderElectionStateMachine>

    /// Creates an elector for the Lease `namespace/name`.
    /// - Parameters:
    ///   - identity: this candidate's unique name (the pod name, or host plus a random suffix).
    ///   - timing: lease 15 s, renew deadline 10 s, retry 2 s by default.
    package init(
        client: KubeClient, namespace: String, name: String, identity: String,
        timing: LeaderElectionStateMachine.Timing = .init(), logger: Logger
    ) {
        self.client = client
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.timing = timing
        self.logger = logger
        self.machine = Mutex(LeaderElectionStateMachine(identity: identity, timing: timing))
    }

    /// Whether this candidate leads now.
    package var isLeader: Bool { leading.withLock { $0 } }

    /// Campaigns until the task is cancelled, running `whileLeading` during each term of leadership.
    /// - Parameter releaseOnExit: release the Lease when cancelled while leading. Default true.
    package func run(releaseOnExit: Bool = true, whileLeading: @escaping @Sendable () async -> Void) async {
        while !Task.isCancelled {
            guard await acquire() else { continue }
            leading.withLock { $0 = true }
            logger.info("became leader", metadata: ["petrel.lease": "\(namespace)/\(name)", "identity": "\(identity)"])
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await whileLeading() }
                group.addTask { await self.renew() }
                await group.next()
                group.cancelAll()
            }
            leading.withLock { $0 = false }
            if Task.isCancelled {
                if releaseOnExit && machine.withLock({ $0.isLeader }) { await release() }
                return
            }
            logger.warning("lost leadership", metadata: ["petrel.lease": "\(namespace)/\(name)"])
        }
    }

    /// Loops until this candidate holds the Lease (true) or the task is cancelled (false).
    private func acquire() async -> Bool {
        while !Task.isCancelled {
            if await attempt() { return true }
        }
        return false
    }

    /// Renews until leadership is lost or the task is cancelled.
    private func renew() async {
        while !Task.isCancelled && machine.withLock({ $0.isLeader }) {
            _ = await attempt()
        }
    }

    /// One read-decide-write round. Returns whether we hold the Lease after it.
    private func attempt() async -> Bool {
        let current: JSONValue?
        do {
            current = try await client.get(Self.leases, namespace: namespace, name: name)
        } catch .notFound {
            current = nil
        } catch {
            return await handle(machine.withLock { $0.failed(at: .now) })
        }
        let decision = machine.withLock { $0.observed(current.map(Self.record), at: .now) }
        switch decision {
        case .create:
            do {
                _ = try await client.create(Self.leases, namespace: namespace, lease(transitions: 0, base: nil))
                machine.withLock { $0.wrote(at: .now) }
                return true
            } catch {
                return await handle(machine.withLock { $0.failed(at: .now) })
            }
        case .write(let transitions):
            do {
                _ = try await client.update(
                    Self.leases, namespace: namespace, lease(transitions: transitions, base: current))
                machine.withLock { $0.wrote(at: .now) }
                return true
            } catch {
                return await handle(machine.withLock { $0.failed(at: .now) })
            }
        case .wait, .stepDown:
            return await handle(decision)
        }
    }

    private func handle(_ decision: LeaderElectionStateMachine.Decision) async -> Bool {
        switch decision {
        case .wait(let delay):
            try? await Task.sleep(for: delay)
            return machine.withLock { $0.isLeader }
        case .stepDown:
            return false
        case .create, .write:
            return machine.withLock { $0.isLeader }
        }
    }

    private func lease(transitions: Int, base: JSONValue?) -> JSONValue {
        let now = Self.microTime(Date())
        var object: JSONValue = base ?? [
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
        ]
        let previousHolder = base?[path: ["spec", "holderIdentity"]]?.stringValue
        object.set(path: ["spec", "holderIdentity"], to: .string(identity))
        object.set(path: ["spec", "leaseDurationSeconds"], to: .integer(Int64(timing.leaseDuration.components.seconds)))
        object.set(path: ["spec", "renewTime"], to: .string(now))
        object.set(path: ["spec", "leaseTransitions"], to: .integer(Int64(transitions)))
        if previousHolder != identity { object.set(path: ["spec", "acquireTime"], to: .string(now)) }
        return object
    }

    /// How long releasing the Lease on exit may take before it is left to expire on its own. A stop must not hang
    /// on an API server that is slow or gone: the next leader then waits for the lease duration instead.
    package static let releaseTimeout: Duration = .seconds(3)

    /// Releases the Lease: empty holder, so the next candidate need not wait for expiry. Gives up after
    /// ``releaseTimeout``.
    private func release() async {
        // Runs outside the cancelled task, so the write is still sent; the deadline below cancels it.
        let task = Task { [client, namespace, name, identity, logger] in
            do {
                var current = try await client.get(Self.leases, namespace: namespace, name: name)
                guard current[path: ["spec", "holderIdentity"]]?.stringValue == identity else { return }
                current.set(path: ["spec", "holderIdentity"], to: .string(""))
                _ = try await client.update(Self.leases, namespace: namespace, current)
                logger.info("released leadership", metadata: ["petrel.lease": "\(namespace)/\(name)"])
            } catch {
                logger.warning("failed to release the lease; it expires on its own", metadata: ["error": "\(error)"])
            }
        }
        let deadline = Task {
            try await Task.sleep(for: Self.releaseTimeout)
            task.cancel()
        }
        await task.value
        deadline.cancel()
    }

    static func record(_ lease: JSONValue) -> LeaseRecord {
        LeaseRecord(
            holderIdentity: lease[path: ["spec", "holderIdentity"]]?.stringValue,
            leaseDurationSeconds: Int(lease[path: ["spec", "leaseDurationSeconds"]]?.integerValue ?? 15),
            leaseTransitions: Int(lease[path: ["spec", "leaseTransitions"]]?.integerValue ?? 0),
            renewTime: lease[path: ["spec", "renewTime"]]?.stringValue ?? "")
    }

    /// Kubernetes MicroTime: RFC 3339 with microseconds, UTC.
    static func microTime(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        let whole = floor(seconds)
        let micros = Int((seconds - whole) * 1_000_000)
        var time = time_t(whole)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), micros)
    }
}
