@testable import ControllerRuntime
import Testing

@Suite("Leader election state machine")
struct LeaderElectionStateMachineTests {
    let start = ContinuousClock.now

    func lease(_ holder: String?, renew: String = "t1", transitions: Int = 0) -> LeaseRecord {
        LeaseRecord(holderIdentity: holder, leaseDurationSeconds: 15, leaseTransitions: transitions, renewTime: renew)
    }

    @Test("a missing lease is created, and a successful write makes us leader")
    func createsMissingLease() {
        var machine = LeaderElectionStateMachine(identity: "me")
        #expect(machine.observed(nil, at: start) == .create)
        machine.wrote(at: start)
        #expect(machine.isLeader)
    }

    @Test("another holder's live lease is respected until it has not changed for a lease duration")
    func takesOverOnlyAfterExpiry() {
        var machine = LeaderElectionStateMachine(identity: "me")
        #expect(machine.observed(lease("other"), at: start) == .wait(.seconds(2)))
        #expect(machine.observed(lease("other"), at: start.advanced(by: .seconds(10))) == .wait(.seconds(2)))
        // The holder renews: the expiry clock restarts from our observation.
        #expect(machine.observed(lease("other", renew: "t2"), at: start.advanced(by: .seconds(14))) == .wait(.seconds(2)))
        #expect(machine.observed(lease("other", renew: "t2"), at: start.advanced(by: .seconds(28))) == .wait(.seconds(2)))
        #expect(machine.observed(lease("other", renew: "t2"), at: start.advanced(by: .seconds(30))) == .write(leaseTransitions: 1))
    }

    @Test("a released lease is taken at once")
    func takesReleasedLease() {
        var machine = LeaderElectionStateMachine(identity: "me")
        #expect(machine.observed(lease("", transitions: 3), at: start) == .write(leaseTransitions: 4))
    }

    @Test("the leader renews every retry period and steps down when renewals fail past the deadline")
    func renewAndStepDown() {
        var machine = LeaderElectionStateMachine(identity: "me")
        machine.wrote(at: start)
        #expect(machine.observed(lease("me"), at: start.advanced(by: .seconds(1))) == .wait(.seconds(1)))
        #expect(machine.observed(lease("me"), at: start.advanced(by: .seconds(2))) == .write(leaseTransitions: 0))
        machine.wrote(at: start.advanced(by: .seconds(2)))
        #expect(machine.failed(at: start.advanced(by: .seconds(6))) == .wait(.seconds(2)))
        #expect(machine.isLeader)
        #expect(machine.failed(at: start.advanced(by: .seconds(12))) == .stepDown)
        #expect(!machine.isLeader)
    }

    @Test("a leader that sees another holder steps down")
    func losesLeaseToAnother() {
        var machine = LeaderElectionStateMachine(identity: "me")
        machine.wrote(at: start)
        #expect(machine.observed(lease("other", transitions: 1), at: start.advanced(by: .seconds(3))) == .stepDown)
    }
}
