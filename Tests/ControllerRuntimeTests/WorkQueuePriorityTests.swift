@testable import ControllerRuntime
import Testing

@Suite("Priority lanes")
struct PriorityLanesTests {
    private func drain(_ lanes: inout PriorityLanes<String>) -> [String] {
        var keys: [String] = []
        while let (key, _) = lanes.popFirst() { keys.append(key) }
        return keys
    }

    @Test("HIGH keys are handed out before LOW keys, FIFO within each priority")
    func highBeforeLow() {
        var lanes = PriorityLanes<String>(highBurst: nil)
        lanes.insert("low-1", priority: .low)
        lanes.insert("high-1", priority: .high)
        lanes.insert("low-2", priority: .low)
        lanes.insert("high-2", priority: .high)
        lanes.insert("low-3", priority: .low)
        #expect(lanes.count(.high) == 2)
        #expect(lanes.count(.low) == 3)
        #expect(drain(&lanes) == ["high-1", "high-2", "low-1", "low-2", "low-3"])
        #expect(lanes.count == 0)
    }

    @Test("a held LOW key inserted as HIGH is upgraded once, a held HIGH key inserted as LOW stays HIGH")
    func upgradeWithoutDuplicates() {
        var lanes = PriorityLanes<String>(highBurst: nil)
        #expect(lanes.insert("a", priority: .low) == .queued)
        #expect(lanes.insert("b", priority: .low) == .queued)
        #expect(lanes.insert("h", priority: .high) == .queued)
        #expect(lanes.insert("a", priority: .high) == .upgraded)
        #expect(lanes.insert("a", priority: .high) == .unchanged)
        #expect(lanes.insert("a", priority: .low) == .unchanged)
        #expect(lanes.insert("h", priority: .low) == .unchanged)
        #expect(lanes.priority(of: "a") == .high)
        #expect(lanes.priority(of: "h") == .high)
        #expect(lanes.count == 3)
        #expect(lanes.count(.high) == 2)
        #expect(lanes.count(.low) == 1)
        #expect(drain(&lanes) == ["h", "a", "b"], "the upgraded key joins the back of the HIGH lane, once")
        #expect(lanes.priority(of: "a") == nil)
    }

    @Test("after highBurst HIGH keys in a row, a waiting LOW key goes next; without LOW keys there is no limit")
    func starvationGuard() {
        var lanes = PriorityLanes<String>(highBurst: 2)
        for index in 1...5 { lanes.insert("high-\(index)", priority: .high) }
        #expect(drain(&lanes) == (1...5).map { "high-\($0)" }, "no LOW key waits, so HIGH keys go in a row")
        lanes.insert("low-1", priority: .low)
        lanes.insert("low-2", priority: .low)
        for index in 1...5 { lanes.insert("high-\(index)", priority: .high) }
        #expect(drain(&lanes) == ["high-1", "high-2", "low-1", "high-3", "high-4", "low-2", "high-5"])
    }

    @Test("strict priority (no highBurst) hands out every HIGH key before any LOW key")
    func strictPriority() {
        var lanes = PriorityLanes<String>(highBurst: nil)
        lanes.insert("low", priority: .low)
        for index in 1...50 { lanes.insert("high-\(index)", priority: .high) }
        #expect(drain(&lanes).last == "low")
    }

    @Test("many upgrades leave the lanes consistent and compact")
    func manyUpgrades() {
        var lanes = PriorityLanes<Int>(highBurst: nil)
        for key in 0..<3_000 { lanes.insert(key, priority: .low) }
        for key in stride(from: 0, to: 3_000, by: 2) { lanes.insert(key, priority: .high) }
        #expect(lanes.count(.high) == 1_500)
        #expect(lanes.count(.low) == 1_500)
        var order: [Int] = []
        while let (key, _) = lanes.popFirst() { order.append(key) }
        let evens = Array(stride(from: 0, to: 3_000, by: 2))
        let odds = Array(stride(from: 1, to: 3_000, by: 2))
        #expect(order == evens + odds)
    }
}

@Suite("Work queue priorities")
struct WorkQueuePriorityTests {
    @Test("a worker takes the oldest HIGH key before any LOW key, FIFO within a priority")
    func ordering() async {
        let queue = WorkQueue<String>()
        await queue.add("drift-1", priority: .low)
        await queue.add("drift-2", priority: .low)
        await queue.add("event-1", priority: .high)
        await queue.add("drift-3", priority: .low)
        await queue.add("event-2")
        let statistics = await queue.statistics
        #expect(statistics.depth == 5)
        #expect(statistics.highDepth == 2)
        #expect(statistics.lowDepth == 3)
        var order: [String] = []
        for _ in 0..<5 {
            guard let key = await queue.next() else { break }
            order.append(key)
            await queue.done(key)
        }
        #expect(order == ["event-1", "event-2", "drift-1", "drift-2", "drift-3"])
    }

    @Test("a queued LOW key added as HIGH is upgraded, never duplicated; a HIGH key added as LOW stays HIGH")
    func upgrade() async {
        let queue = WorkQueue<String>()
        await queue.add("a", priority: .low)
        await queue.add("b", priority: .low)
        await queue.add("a", priority: .high)
        await queue.add("c", priority: .high)
        await queue.add("c", priority: .low)
        let statistics = await queue.statistics
        #expect(statistics.depth == 3)
        #expect(statistics.adds == 3)
        #expect(statistics.upgrades == 1)
        #expect(await queue.pendingPriority("a") == .high)
        #expect(await queue.pendingPriority("c") == .high)
        #expect(await queue.next() == "a")
        #expect(await queue.next() == "c")
        #expect(await queue.next() == "b")
        #expect(await queue.statistics.depth == 0)
    }

    @Test("a key added while processing comes back after done at the highest priority it was added with")
    func readdWhileProcessing() async {
        let queue = WorkQueue<String>()
        await queue.add("a", priority: .low)
        #expect(await queue.next() == "a")
        await queue.add("a", priority: .low)
        await queue.add("a", priority: .high)
        await queue.add("a", priority: .low)
        await queue.add("drift", priority: .low)
        #expect(await queue.statistics.depth == 1, "the key in flight is not queued a second time")
        #expect(await queue.pendingPriority("a") == .high)
        await queue.done("a")
        #expect(await queue.statistics.highDepth == 1)
        #expect(await queue.next() == "a", "re-queued HIGH, ahead of the LOW key queued earlier")
        #expect(await queue.next() == "drift")
    }

    @Test("requeueAfter keys come back LOW and wait behind event-driven keys")
    func timerKeysAreLow() async {
        let queue = WorkQueue<String>()
        await queue.add("timer", after: .milliseconds(10))
        #expect(await queue.pendingPriority("timer") == .low)
        #expect(await queue.statistics.delayed == 1)
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(30))
        while await queue.statistics.lowDepth == 0, clock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
        #expect(await queue.statistics.lowDepth == 1, "the timer fired into the LOW lane")
        await queue.add("event")
        #expect(await queue.next() == "event")
        #expect(await queue.next() == "timer")
    }

    @Test("a key waiting for its timer that gets a HIGH add is queued now at HIGH, and its timer is dropped")
    func highAddBeatsTimer() async {
        let queue = WorkQueue<String>()
        await queue.add("drift", priority: .low)
        await queue.add("a", after: .seconds(600))
        #expect(await queue.statistics.delayed == 1)
        await queue.add("a")
        let statistics = await queue.statistics
        #expect(statistics.delayed == 0, "now is earlier than the timer")
        #expect(statistics.highDepth == 1)
        #expect(await queue.next() == "a")
        #expect(await queue.next() == "drift")
    }

    @Test("a key already due now stays due now and an earlier deadline is kept, each at the higher priority")
    func earliestTimeWins() async {
        let queue = WorkQueue<String>()
        await queue.add("a")
        await queue.add("a", after: .seconds(600))
        #expect(await queue.statistics.delayed == 0)
        #expect(await queue.pendingPriority("a") == .high)
        await queue.add("b", after: .seconds(1))
        await queue.add("b", after: .seconds(600), priority: .high)
        #expect(await queue.statistics.delayed == 1)
        #expect(await queue.pendingPriority("b") == .high, "the earlier time and the higher priority both win")
        await queue.add("c", priority: .low)
        await queue.add("c", after: .seconds(600), priority: .high)
        #expect(await queue.statistics.delayed == 1, "c stays due now")
        #expect(await queue.pendingPriority("c") == .high)
    }

    @Test("an error retry keeps the priority the key was handed out with")
    func retryKeepsPriority() async {
        let queue = WorkQueue<String>()
        await queue.add("event")
        await queue.add("drift", priority: .low)
        #expect(await queue.next() == "event")
        await queue.addRateLimited("event")
        #expect(await queue.pendingPriority("event") == .high)
        await queue.done("event")
        #expect(await queue.next() == "drift")
        await queue.addRateLimited("drift")
        #expect(await queue.pendingPriority("drift") == .low)
        await queue.done("drift")
        await queue.addRateLimited("idle")
        #expect(await queue.pendingPriority("idle") == .low, "a key no worker holds retries LOW")
    }

    @Test("LOW keys still make progress while HIGH keys keep coming")
    func noStarvation() async {
        let queue = WorkQueue<String>(highBurst: 3)
        await queue.add("drift", priority: .low)
        var taken: [String] = []
        for index in 0..<10 {
            await queue.add("event-\(index)")
            await queue.add("event-\(index + 100)")
            guard let key = await queue.next() else { break }
            taken.append(key)
            await queue.done(key)
        }
        let position = taken.firstIndex(of: "drift")
        #expect(position == 3, "the LOW key goes after 3 HIGH keys in a row: \(taken)")
    }
}
