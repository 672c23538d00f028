@testable import ControllerRuntime
import Synchronization
import Testing

@Suite("Work queue")
struct WorkQueueTests {
    @Test("a key added many times before a worker takes it is handed out once")
    func deduplicates() async {
        let queue = WorkQueue<String>()
        for _ in 0..<5 { await queue.add("a") }
        await queue.add("b")
        #expect(await queue.statistics.depth == 2)
        #expect(await queue.next() == "a")
        #expect(await queue.next() == "b")
        #expect(await queue.statistics.depth == 0)
    }

    @Test("a key added while it is processed is queued again only when the worker is done")
    func noConcurrentProcessingOfOneKey() async {
        let queue = WorkQueue<String>()
        await queue.add("a")
        let first = await queue.next()
        #expect(first == "a")
        await queue.add("a")
        #expect(await queue.statistics.depth == 0, "a key in flight must not be handed to a second worker")
        await queue.done("a")
        #expect(await queue.statistics.depth == 1)
        #expect(await queue.next() == "a")
        await queue.done("a")
        #expect(await queue.statistics.depth == 0)
    }

    @Test("parallel workers never hold the same key at once")
    func parallelWorkers() async {
        let queue = WorkQueue<Int>()
        let inFlight = Locked<Set<Int>>([])
        let violations = Locked(0)
        let processed = Locked(0)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    while let key = await queue.next() {
                        let clash = inFlight.withLock { !$0.insert(key).inserted }
                        if clash { violations.withLock { $0 += 1 } }
                        await Task.yield()
                        inFlight.withLock { _ = $0.remove(key) }
                        processed.withLock { $0 += 1 }
                        await queue.done(key)
                    }
                }
            }
            for round in 0..<200 {
                await queue.add(round % 7)
                if round % 10 == 0 { await Task.yield() }
            }
            while await queue.statistics.depth > 0 { await Task.yield() }
            await queue.waitUntilIdle()
            await queue.shutDown()
        }
        #expect(violations.withLock { $0 } == 0)
        #expect(processed.withLock { $0 } >= 7)
    }

    @Test("a delayed add arrives after its delay, and the earliest deadline wins")
    func delayedAdd() async {
        let queue = WorkQueue<String>()
        let clock = ContinuousClock()
        let start = clock.now
        await queue.add("a", after: .seconds(600))
        await queue.add("a", after: .milliseconds(50))
        let key = await queue.next()
        let waited = start.duration(to: clock.now)
        #expect(key == "a")
        #expect(waited >= .milliseconds(50))
        #expect(waited < .seconds(300), "the earlier deadline (50 ms) must win over the 600 s one")
    }

    @Test("shutting down wakes waiting workers with nil and drain waits for keys in flight")
    func shutdownDrains() async {
        let queue = WorkQueue<String>()
        await queue.add("busy")
        #expect(await queue.next() == "busy")
        async let waiting = queue.next()
        await Task.yield()
        await queue.shutDown()
        #expect(await waiting == nil)
        await queue.add("late")
        #expect(await queue.next() == nil, "no key is handed out after shutdown")
        let drained = Locked(false)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await queue.waitUntilIdle()
                drained.withLock { $0 = true }
            }
            await Task.yield()
            #expect(!drained.withLock { $0 })
            await queue.done("busy")
        }
        #expect(drained.withLock { $0 })
    }

    @Test("a cancelled worker stops waiting")
    func cancellation() async {
        let queue = WorkQueue<String>()
        let task = Task { await queue.next() }
        await Task.yield()
        task.cancel()
        #expect(await task.value == nil)
    }

    @Test("rate-limited adds count as retries and forget resets the backoff")
    func retries() async {
        let queue = WorkQueue<String>()
        await queue.addRateLimited("a")
        await queue.addRateLimited("a")
        #expect(await queue.failureCount("a") == 2)
        #expect(await queue.statistics.retries == 2)
        await queue.forget("a")
        #expect(await queue.failureCount("a") == 0)
        #expect(await queue.next() == "a")
    }
}

@Suite("Rate limiters")
struct RateLimiterTests {
    @Test("per-key backoff starts at 5 ms, doubles, and stops at the cap")
    func exponentialBackoff() {
        var backoff = ExponentialBackoff<String>()
        let delays = (0..<5).map { _ in backoff.nextDelay(for: "a") }
        #expect(delays == [.milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(40), .milliseconds(80)])
        #expect(backoff.nextDelay(for: "b") == .milliseconds(5), "keys back off independently")
        for _ in 0..<30 { _ = backoff.nextDelay(for: "a") }
        #expect(backoff.nextDelay(for: "a") == .seconds(1_000))
        backoff.forget("a")
        #expect(backoff.nextDelay(for: "a") == .milliseconds(5))
    }

    @Test("the token bucket allows a burst, then paces at its rate")
    func tokenBucket() {
        var bucket = TokenBucket(rate: 10, burst: 3)
        let now = ContinuousClock.now
        #expect((0..<3).map { _ in bucket.reserve(at: now) } == [.zero, .zero, .zero])
        #expect(bucket.reserve(at: now) == .milliseconds(100))
        #expect(bucket.reserve(at: now) == .milliseconds(200))
        let later = now.advanced(by: .seconds(10))
        #expect(bucket.reserve(at: later) == .zero, "the bucket refills over time, up to its burst")
    }
}

/// A Sendable box around a `Mutex`, so test tasks can share state.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}
