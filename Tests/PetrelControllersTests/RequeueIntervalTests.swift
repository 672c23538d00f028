import PetrelAPI
import Testing

@testable import PetrelControllers

@Suite("Requeue intervals")
struct RequeueIntervalTests {
    @Test(
        "the jitter of a GitRepository's requeue never traps, whatever the interval and the random offset",
        arguments: [Int64.max, Int64.max - 1, 9_223_372_036_800_000_000, 1_000_000, 0, -1, Int64.min])
    func jitterSaturates(nanoseconds: Int64) {
        let interval = GoDuration(nanoseconds: nanoseconds)
        for pick in [{ (range: ClosedRange<Int64>) in range.upperBound }, { $0.lowerBound }, { _ in Int64.max }] {
            let jittered = GitRepositoryReconciler.jittered(interval, offset: pick)
            #expect(jittered >= .milliseconds(1) * 0.95)
        }
        let typical = GitRepositoryReconciler.jittered(.minutes(10))
        #expect(typical >= .seconds(570) && typical <= .seconds(630))
    }
}
