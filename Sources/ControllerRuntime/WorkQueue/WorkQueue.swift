/// A queue of object keys for reconcile workers, with client-go's contract and a priority lane in the spirit of
/// controller-runtime's priority queue (v0.20+).
///
/// ## Priorities
/// Every add carries a ``WorkPriority``. Keys added because something happened (a watch event, a mapped event of a
/// secondary kind, a reconcile request) are HIGH; keys added by a timer (``add(_:after:priority:)``: `requeueAfter`,
/// drift checks, dependency waits) and by the informer's initial list are LOW. A worker takes the oldest ready HIGH
/// key before any LOW key, FIFO within a priority, except that LOW keys are owed one turn after `highBurst` HIGH
/// keys in a row (default 20; see ``PriorityLanes``), so events cannot starve drift checks forever. A key keeps the
/// highest priority it was added with until a worker takes it.
///
/// ## Guarantees
/// - A key is queued once however often it is added before a worker takes it (dedup). A queued LOW key added as
///   HIGH is upgraded (it moves to the back of the HIGH lane), never duplicated; a HIGH key added as LOW stays HIGH.
/// - A key is never handed to two workers at once. A key added while it is being processed is queued again when
///   the worker calls ``done(_:)``, at the highest priority it was added with meanwhile, so the latest change is
///   never lost.
/// - A key has at most one pending time, and the earliest wins: ``add(_:after:priority:)`` keeps an earlier
///   deadline and leaves a key already due now (queued, or to be re-queued after ``done(_:)``) due now; an
///   immediate ``add(_:priority:)`` of a key waiting for a timer cancels the timer and queues the key now, at the
///   higher of the two priorities (the reconcile it triggers sets its own `requeueAfter` again).
/// - ``addRateLimited(_:atLeast:priority:)`` delays a key by its per-key exponential backoff (5 ms doubling to
///   1,000 s), by the overall token bucket and by the caller's minimum, whichever is longest; ``forget(_:)``
///   resets the key's backoff after a success.
///   A retry keeps the priority the key was handed out with: a failed event-driven reconcile is retried ahead of
///   the drift checks, a failed drift check behind them (controller-runtime does the same).
/// - ``shutDown()`` stops handing out keys: waiting workers get `nil`, and ``waitUntilIdle()`` returns once every
///   key in flight is done (a drain).
///
/// ## Caveats
/// Delayed adds run on child tasks owned by the queue; ``shutDown()`` cancels them.
package actor WorkQueue<Key: Hashable & Sendable> {
    private struct Delayed {
        var deadline: ContinuousClock.Instant
        var priority: WorkPriority
        var task: Task<Void, Never>
    }

    private var lanes: PriorityLanes<Key>
    /// Keys handed to a worker, with the priority they were handed out with.
    private var processing: [Key: WorkPriority] = [:]
    /// Keys added while processing: queued again, at this priority, when the worker is done.
    private var addedWhileProcessing: [Key: WorkPriority] = [:]
    private var waiters: [(id: Int, continuation: CheckedContinuation<Key?, Never>)] = []
    private var nextWaiterID = 0
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    private var delayed: [Key: Delayed] = [:]
    private var backoff: ExponentialBackoff<Key>
    private var bucket: TokenBucket
    private var isShuttingDown = false

    /// Counters for metrics: `adds`, `upgrades` and `retries` are monotonic, the others are gauges.
    package struct Statistics: Sendable, Equatable {
        /// Keys waiting to be handed out (both priorities).
        package var depth: Int
        /// Calls to `add` that queued a key (deduplicated adds and upgrades are not counted).
        package var adds: Int
        /// Keys re-queued through `addRateLimited`.
        package var retries: Int
        /// Keys waiting to be handed out at HIGH priority (part of `depth`).
        package var highDepth: Int = 0
        /// Keys waiting to be handed out at LOW priority (part of `depth`).
        package var lowDepth: Int = 0
        /// Queued LOW keys raised to HIGH by a later add.
        package var upgrades: Int = 0
        /// Keys waiting for a timer (`requeueAfter`, backoff) before they are queued.
        package var delayed: Int = 0
    }

    private var adds = 0
    private var retries = 0
    private var upgrades = 0

    /// Creates a queue.
    /// - Parameters:
    ///   - backoff: per-key backoff for `addRateLimited`. Default: 5 ms doubling to 1,000 s.
    ///   - bucket: overall rate limit for `addRateLimited`. Default: 10 per second, burst 100.
    ///   - highBurst: how many HIGH keys a worker may take in a row while LOW keys wait. Default 20; `nil` is strict
    ///     priority (controller-runtime's behaviour, where LOW keys can starve).
    package init(backoff: ExponentialBackoff<Key> = .init(), bucket: TokenBucket = .init(), highBurst: Int? = 20) {
        self.backoff = backoff
        self.bucket = bucket
        self.lanes = PriorityLanes(highBurst: highBurst)
    }

    /// Queues `key` now unless it is already queued (a queued LOW key added as HIGH is upgraded). A pending timer
    /// for `key` is cancelled: now is earlier. Ignored after ``shutDown()``.
    /// - Parameter priority: HIGH (the default) for "something happened", LOW for the initial list.
    package func add(_ key: Key, priority: WorkPriority = .high) {
        guard !isShuttingDown else { return }
        var priority = priority
        if let pending = delayed.removeValue(forKey: key) {
            pending.task.cancel()
            priority = max(priority, pending.priority)
        }
        if processing[key] != nil {
            if let earlier = addedWhileProcessing[key] {
                addedWhileProcessing[key] = max(earlier, priority)
            } else {
                addedWhileProcessing[key] = priority
                adds += 1
            }
            return
        }
        if lanes.contains(key) {
            raise(key, to: priority)
            return
        }
        adds += 1
        enqueue(key, priority: priority)
    }

    /// Raises the priority of queued `key` to `priority` if that is higher (an upgrade).
    private func raise(_ key: Key, to priority: WorkPriority) {
        if lanes.insert(key, priority: priority) == .upgraded { upgrades += 1 }
    }

    /// Hands `key` to a waiting worker, or queues it. The key is neither queued nor being processed.
    private func enqueue(_ key: Key, priority: WorkPriority) {
        if !waiters.isEmpty {
            // A worker waits only while nothing is queued, so no queued key is overtaken.
            let waiter = waiters.removeFirst()
            processing[key] = priority
            waiter.continuation.resume(returning: key)
        } else {
            lanes.insert(key, priority: priority)
        }
    }

    /// Queues `key` once `delay` has passed (a timer: `requeueAfter`, drift check, dependency wait).
    ///
    /// The earliest time wins and the higher priority wins: an earlier pending deadline for `key` is kept, and a key
    /// already due now (queued, or to be queued again after ``done(_:)``) stays due now; either way it keeps the
    /// higher of the two priorities.
    /// - Parameter priority: LOW (the default): nothing is known to have changed.
    package func add(_ key: Key, after delay: Duration, priority: WorkPriority = .low) {
        guard !isShuttingDown else { return }
        guard delay > .zero else {
            add(key, priority: priority)
            return
        }
        // Already due now: now is earlier, only the priority can rise.
        if lanes.contains(key) {
            raise(key, to: priority)
            return
        }
        if let pending = addedWhileProcessing[key] {
            addedWhileProcessing[key] = max(pending, priority)
            return
        }
        let deadline = ContinuousClock.now.advanced(by: delay)
        var priority = priority
        if let pending = delayed[key] {
            priority = max(priority, pending.priority)
            if pending.deadline <= deadline {
                delayed[key]?.priority = priority
                return
            }
            pending.task.cancel()
        }
        let task = Task { [weak self] in
            do {
                try await Task.sleep(until: deadline, clock: .continuous)
            } catch {
                return
            }
            await self?.fireDelayed(key, deadline: deadline)
        }
        delayed[key] = Delayed(deadline: deadline, priority: priority, task: task)
    }

    private func fireDelayed(_ key: Key, deadline: ContinuousClock.Instant) {
        guard let pending = delayed[key], pending.deadline == deadline else { return }
        delayed[key] = nil
        add(key, priority: pending.priority)
    }

    /// Queues `key` after its backoff: call after a failed reconcile.
    /// - Parameters:
    ///   - minimum: the shortest delay (e.g. a retry interval the object asks for). Default zero.
    ///   - priority: the retry's priority. Default (`nil`): the priority `key` was handed out with if a worker holds
    ///     it, else LOW.
    /// - Returns: the delay chosen.
    @discardableResult
    package func addRateLimited(_ key: Key, atLeast minimum: Duration = .zero, priority: WorkPriority? = nil)
        -> Duration
    {
        let perKey = backoff.nextDelay(for: key)
        let overall = bucket.reserve(at: .now)
        retries += 1
        let delay = max(perKey, overall, minimum)
        add(key, after: delay, priority: priority ?? processing[key] ?? .low)
        return delay
    }

    /// Resets the backoff of `key`: call after a successful reconcile.
    package func forget(_ key: Key) {
        backoff.forget(key)
    }

    /// How many times `key` has failed since it was last forgotten.
    package func failureCount(_ key: Key) -> Int { backoff.failureCount(for: key) }

    /// Waits for the next key: the oldest HIGH key, else the oldest LOW key. Returns `nil` once the queue is shut
    /// down or the calling task is cancelled.
    ///
    /// The caller owns the key until it calls ``done(_:)``.
    package func next() async -> Key? {
        if let key = popQueued() { return key }
        if isShuttingDown || Task.isCancelled { return nil }
        let id = nextWaiterID
        nextWaiterID += 1
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume(returning: nil)
                } else {
                    waiters.append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    private func popQueued() -> Key? {
        guard !isShuttingDown, let (key, priority) = lanes.popFirst() else { return nil }
        processing[key] = priority
        return key
    }

    private func cancelWaiter(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(returning: nil)
    }

    /// Marks `key` as processed; if it was added meanwhile, it is queued again at the priority it was added with.
    package func done(_ key: Key) {
        processing[key] = nil
        if let priority = addedWhileProcessing.removeValue(forKey: key), !isShuttingDown {
            enqueue(key, priority: priority)
        }
        if processing.isEmpty {
            let continuations = idleWaiters
            idleWaiters = []
            continuations.forEach { $0.resume() }
        }
    }

    /// Stops handing out keys and cancels delayed adds. Keys in flight may still call ``done(_:)``.
    package func shutDown() {
        isShuttingDown = true
        for (_, pending) in delayed { pending.task.cancel() }
        delayed = [:]
        let waiting = waiters
        waiters = []
        waiting.forEach { $0.continuation.resume(returning: nil) }
    }

    /// Returns once no key is being processed.
    package func waitUntilIdle() async {
        if processing.isEmpty { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    /// The current counters.
    package var statistics: Statistics {
        Statistics(
            depth: lanes.count, adds: adds, retries: retries, highDepth: lanes.count(.high),
            lowDepth: lanes.count(.low), upgrades: upgrades, delayed: delayed.count)
    }

    /// Whether `key` is being processed now.
    package func isProcessing(_ key: Key) -> Bool { processing[key] != nil }

    /// The priority `key` will be handed out with next: queued, to be queued again after ``done(_:)``, or waiting
    /// for a timer. `nil` if none of these.
    package func pendingPriority(_ key: Key) -> WorkPriority? {
        lanes.priority(of: key) ?? addedWhileProcessing[key] ?? delayed[key]?.priority
    }
}
