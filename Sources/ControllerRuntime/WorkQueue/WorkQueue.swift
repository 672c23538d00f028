/// A queue of object keys for reconcile workers, with client-go's contract.
///
/// ## Guarantees
/// - A key is queued once however often it is added before a worker takes it (dedup).
/// - A key is never handed to two workers at once. A key added while it is being processed is queued again
///   when the worker calls ``done(_:)``, so the latest change is never lost.
/// - ``addRateLimited(_:)`` delays a key by its per-key exponential backoff (5 ms doubling to 1,000 s) and by
///   the overall token bucket, whichever is longer; ``forget(_:)`` resets the key's backoff after a success.
/// - ``add(_:after:)`` queues a key after a delay; the earliest pending deadline for a key wins.
/// - ``shutDown()`` stops handing out keys: waiting workers get `nil`, and ``waitUntilIdle()`` returns once every
///   key in flight is done (a drain).
///
/// ## Caveats
/// Delayed adds run on child tasks owned by the queue; ``shutDown()`` cancels them.
package actor WorkQueue<Key: Hashable & Sendable> {
    private var queue: [Key] = []
    private var queueHead = 0
    private var dirty: Set<Key> = []
    private var processing: Set<Key> = []
    private var waiters: [(id: Int, continuation: CheckedContinuation<Key?, Never>)] = []
    private var nextWaiterID = 0
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    private var delayed: [Key: (deadline: ContinuousClock.Instant, task: Task<Void, Never>)] = [:]
    private var backoff: ExponentialBackoff<Key>
    private var bucket: TokenBucket
    private var isShuttingDown = false

    /// Counters for metrics: all monotonic except `depth`.
    package struct Statistics: Sendable, Equatable {
        /// Keys waiting to be handed out.
        package var depth: Int
        /// Calls to `add` that queued a key (deduplicated adds are not counted).
        package var adds: Int
        /// Keys re-queued through `addRateLimited`.
        package var retries: Int
    }

    private var adds = 0
    private var retries = 0

    /// Creates a queue.
    /// - Parameters:
    ///   - backoff: per-key backoff for `addRateLimited`. Default: 5 ms doubling to 1,000 s.
    ///   - bucket: overall rate limit for `addRateLimited`. Default: 10 per second, burst 100.
    package init(backoff: ExponentialBackoff<Key> = .init(), bucket: TokenBucket = .init()) {
        self.backoff = backoff
        self.bucket = bucket
    }

    /// Queues `key` unless it is already queued. Ignored after ``shutDown()``.
    package func add(_ key: Key) {
        guard !isShuttingDown, !dirty.contains(key) else { return }
        dirty.insert(key)
        adds += 1
        if processing.contains(key) { return }
        if let waiter = waiters.first {
            waiters.removeFirst()
            dirty.remove(key)
            processing.insert(key)
            waiter.continuation.resume(returning: key)
        } else {
            queue.append(key)
        }
    }

    /// Queues `key` once `delay` has passed. A pending earlier deadline for the same key is kept.
    package func add(_ key: Key, after delay: Duration) {
        guard !isShuttingDown else { return }
        guard delay > .zero else {
            add(key)
            return
        }
        let deadline = ContinuousClock.now.advanced(by: delay)
        if let pending = delayed[key], pending.deadline <= deadline { return }
        delayed[key]?.task.cancel()
        let task = Task { [weak self] in
            do {
                try await Task.sleep(until: deadline, clock: .continuous)
            } catch {
                return
            }
            await self?.fireDelayed(key, deadline: deadline)
        }
        delayed[key] = (deadline, task)
    }

    private func fireDelayed(_ key: Key, deadline: ContinuousClock.Instant) {
        guard let pending = delayed[key], pending.deadline == deadline else { return }
        delayed[key] = nil
        add(key)
    }

    /// Queues `key` after its backoff: call after a failed reconcile.
    package func addRateLimited(_ key: Key) {
        let perKey = backoff.nextDelay(for: key)
        let overall = bucket.reserve(at: .now)
        retries += 1
        add(key, after: max(perKey, overall))
    }

    /// Resets the backoff of `key`: call after a successful reconcile.
    package func forget(_ key: Key) {
        backoff.forget(key)
    }

    /// How many times `key` has failed since it was last forgotten.
    package func failureCount(_ key: Key) -> Int { backoff.failureCount(for: key) }

    /// Waits for the next key. Returns `nil` once the queue is shut down or the calling task is cancelled.
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
        guard !isShuttingDown, queueHead < queue.count else { return nil }
        let key = queue[queueHead]
        queueHead += 1
        if queueHead > 1_024, queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        dirty.remove(key)
        processing.insert(key)
        return key
    }

    private func cancelWaiter(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(returning: nil)
    }

    /// Marks `key` as processed; if it was added meanwhile, it is queued again.
    package func done(_ key: Key) {
        processing.remove(key)
        if dirty.contains(key), !isShuttingDown {
            dirty.remove(key)
            add(key)
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
        Statistics(depth: queue.count - queueHead, adds: adds, retries: retries)
    }

    /// Whether `key` is being processed now.
    package func isProcessing(_ key: Key) -> Bool { processing.contains(key) }
}
