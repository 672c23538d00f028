import Synchronization

/// A flag that is raised once and can be awaited by any number of tasks (e.g. "graceful shutdown requested").
final class OneShotSignal: Sendable {
    private struct State {
        var fired = false
        var waiters: [Int: CheckedContinuation<Bool, Never>] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())

    /// Whether ``fire()`` was called.
    var isFired: Bool { state.withLock { $0.fired } }

    /// Raises the flag and wakes every waiter. Later calls do nothing.
    func fire() {
        let waiters = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            guard !state.fired else { return [] }
            state.fired = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        waiters.forEach { $0.resume(returning: true) }
    }

    /// Waits until the flag is raised (true) or the calling task is cancelled (false).
    func wait() async -> Bool {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow: Bool? = state.withLock { state in
                    if state.fired { return true }
                    if Task.isCancelled { return false }
                    state.waiters[id] = continuation
                    return nil
                }
                if let resumeNow { continuation.resume(returning: resumeNow) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(returning: false)
        }
    }
}

/// Suspends until the calling task is cancelled.
func waitUntilCancelled() async {
    let never = OneShotSignal()
    _ = await never.wait()
}

/// A Boolean shared between tasks.
final class LockedFlag: Sendable {
    private let state: Mutex<Bool>
    init(_ value: Bool = false) { state = Mutex(value) }
    var value: Bool {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}
