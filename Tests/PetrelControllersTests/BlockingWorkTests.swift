import Foundation
import Testing

@testable import PetrelControllers

/// Blocking work runs on a thread of its own; with a limit its caller is freed at the limit or on cancellation.
@Suite("Blocking work off the cooperative pool")
struct BlockingWorkTests {
    struct Failure: Error, Equatable {}

    @Test("the result and the error of the work come back; the work ran on its own named thread")
    func results() async throws {
        let name = try await BlockingWork.run(name: "petrel-test") { Thread.current.name ?? "" }
        #expect(name == "petrel-test")
        await #expect(throws: Failure.self) { try await BlockingWork.run(name: "petrel-test") { throw Failure() } }
        let limited = try await BlockingWork.run(name: "petrel-test", limit: .seconds(60)) { 42 }
        #expect(limited == 42)
    }

    @Test("past its limit the caller gets TimedOut while the work still runs")
    func timeLimit() async throws {
        let release = DispatchSemaphore(value: 0)
        defer { release.signal() }
        let clock = ContinuousClock()
        let start = clock.now
        await #expect(throws: BlockingWork.TimedOut(limit: .milliseconds(200))) {
            try await BlockingWork.run(name: "petrel-test", limit: .milliseconds(200)) {
                // Blocks until the test ends (or 60 s): the caller must not wait for it.
                _ = release.wait(timeout: .now() + 60)
            }
        }
        #expect(start.duration(to: clock.now) < .seconds(30))
    }

    @Test("a cancelled caller returns at once with CancellationError")
    func cancellation() async throws {
        let release = DispatchSemaphore(value: 0)
        defer { release.signal() }
        let started = DispatchSemaphore(value: 0)
        let task = Task {
            try await BlockingWork.run(name: "petrel-test", limit: .seconds(120)) {
                started.signal()
                _ = release.wait(timeout: .now() + 60)
            }
        }
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                _ = started.wait(timeout: .now() + 60)
                continuation.resume()
            }
        }
        task.cancel()
        let clock = ContinuousClock()
        let start = clock.now
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(start.duration(to: clock.now) < .seconds(30))
    }
}
