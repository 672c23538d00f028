/// What a `coordination.k8s.io/v1` Lease says about its holder, as far as leader election cares.
package struct LeaseRecord: Sendable, Equatable {
    /// `spec.holderIdentity`; `nil` or empty when released.
    package var holderIdentity: String?
    /// `spec.leaseDurationSeconds`.
    package var leaseDurationSeconds: Int
    /// `spec.leaseTransitions`.
    package var leaseTransitions: Int
    /// `spec.renewTime` as the server stores it (RFC 3339 with microseconds); compared for change only.
    package var renewTime: String

    package init(holderIdentity: String?, leaseDurationSeconds: Int, leaseTransitions: Int, renewTime: String) {
        self.holderIdentity = holderIdentity
        self.leaseDurationSeconds = leaseDurationSeconds
        self.leaseTransitions = leaseTransitions
        self.renewTime = renewTime
    }

    /// Whether nobody holds the lease.
    package var isReleased: Bool { holderIdentity?.isEmpty ?? true }
}

/// Leader election over a Lease, as client-go's `LeaderElector`, as a pure value.
///
/// Expiry is judged by the local monotonic clock from the moment this candidate last saw the record change, never
/// by comparing the holder's wall-clock `renewTime` with ours, so clock skew between nodes cannot cause two leaders.
///
/// Defaults: lease 15 s, renew deadline 10 s, retry every 2 s (client-go's).
package struct LeaderElectionStateMachine: Sendable {
    package struct Timing: Sendable, Equatable {
        package var leaseDuration: Duration = .seconds(15)
        package var renewDeadline: Duration = .seconds(10)
        package var retryPeriod: Duration = .seconds(2)
        package init() {}
    }

    /// What the owner should do.
    package enum Decision: Sendable, Equatable {
        /// Create the Lease holding it ourselves (it does not exist).
        case create
        /// Write the Lease with us as holder (taking it over, or renewing), with this transition count.
        case write(leaseTransitions: Int)
        /// Someone else leads, or we just renewed: check again after this delay.
        case wait(Duration)
        /// We were the leader and could not renew within the deadline: stop leading now.
        case stepDown
    }

    package let identity: String
    package let timing: Timing
    package private(set) var isLeader = false
    private var observedRecord: LeaseRecord?
    private var observedAt: ContinuousClock.Instant?
    private var lastRenewal: ContinuousClock.Instant?

    package init(identity: String, timing: Timing = Timing()) {
        self.identity = identity
        self.timing = timing
    }

    /// Decides what to do after reading the Lease (`nil`: it does not exist) at `now`.
    package mutating func observed(_ record: LeaseRecord?, at now: ContinuousClock.Instant) -> Decision {
        guard let record else { return .create }
        if record != observedRecord {
            observedRecord = record
            observedAt = now
        }
        if record.holderIdentity == identity {
            if isLeader, let lastRenewal, lastRenewal.duration(to: now) < timing.retryPeriod {
                return .wait(timing.retryPeriod - lastRenewal.duration(to: now))
            }
            return .write(leaseTransitions: record.leaseTransitions)
        }
        if isLeader {
            // Someone else took the lease from us.
            isLeader = false
            return .stepDown
        }
        let expired = record.isReleased || (observedAt.map { $0.duration(to: now) > .seconds(record.leaseDurationSeconds) } ?? true)
        if expired {
            return .write(leaseTransitions: record.leaseTransitions + 1)
        }
        return .wait(timing.retryPeriod)
    }

    /// The write (create or update) succeeded: we lead.
    package mutating func wrote(at now: ContinuousClock.Instant) {
        isLeader = true
        lastRenewal = now
    }

    /// A read or write failed (conflict, transport). As leader past the renew deadline, step down.
    package mutating func failed(at now: ContinuousClock.Instant) -> Decision {
        if isLeader, let lastRenewal, lastRenewal.duration(to: now) >= timing.renewDeadline {
            isLeader = false
            return .stepDown
        }
        return .wait(timing.retryPeriod)
    }

    /// We released the lease on shutdown.
    package mutating func released() {
        isLeader = false
        lastRenewal = nil
    }
}
