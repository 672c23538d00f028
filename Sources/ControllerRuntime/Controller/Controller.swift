import Foundation
import KubeCore
import Logging

/// Runs a ``Reconciler`` over the keys of one kind: its informer feeds a ``WorkQueue``, `concurrency` workers take
/// keys from it, and each outcome maps to a queue operation in one place (``handle(_:for:)``).
///
/// ## Priorities
/// Keys added because something happened are HIGH: a change of the controller's own kind that passes
/// ``ChangePredicate`` (a new generation, a reconcile request annotation, a deletion...), and the keys a
/// ``watch(_:map:)`` maps a secondary kind's change to (a source's new artifact). Keys added by a timer are LOW:
/// ``ReconcileResult/requeue(after:)`` (the periodic drift check) and ``ReconcileInterruption/waiting(requeueAfter:)``
/// (a dependency wait), as are the changes of an informer's initial list. A failed reconcile (any error, or
/// ``ReconcileInterruption/failed(reason:message:retryAfter:)``) is counted as an error and retried with backoff at
/// the priority it ran with. Workers take HIGH keys first (see ``WorkQueue``), so a new commit is not stuck
/// behind a queue full of drift checks.
///
/// ## Guarantees
/// - Workers start only after every informer the controller uses holds its first full list.
/// - One key is never reconciled by two workers at once (the queue's contract).
/// - Each reconcile gets a logger carrying `petrel.controller`, `petrel.namespace`, `petrel.name` and a fresh
///   `petrel.reconcile_id`; the controller's own lines about that reconcile carry the same metadata.
/// - On cancellation the queue stops handing out keys, in-flight reconciles finish (the drain), then ``run()``
///   returns.
package final class Controller: Sendable {
    /// The controller's name, for logs and metrics (e.g. `kustomization`).
    package let name: String
    /// The informer of the controller's own kind.
    package let informer: Informer
    /// The queue of keys to reconcile.
    package let queue: WorkQueue<ObjectKey>
    /// Outcome and duration counters.
    package let metrics: ControllerMetrics
    private let reconciler: any Reconciler
    private let concurrency: Int
    private let logger: Logger
    private let secondary: [Informer]

    /// Creates a controller.
    /// - Parameters:
    ///   - name: the controller's name.
    ///   - informer: the informer of the reconciled kind; its changes pass through ``ChangePredicate``.
    ///   - reconciler: what to run for each key.
    ///   - concurrency: how many keys are reconciled in parallel. Default 4.
    ///   - logger: for outcomes.
    package init(
        name: String, informer: Informer, reconciler: any Reconciler, concurrency: Int = 4,
        secondary: [Informer] = [], logger: Logger
    ) {
        self.name = name
        self.informer = informer
        self.reconciler = reconciler
        self.concurrency = max(1, concurrency)
        self.secondary = secondary
        self.logger = logger
        self.queue = WorkQueue()
        self.metrics = ControllerMetrics()
        let queue = self.queue
        informer.addOriginHandler { change, origin in
            switch change {
            case .applied(let key, let old, let new):
                if ChangePredicate.shouldReconcile(old: old, new: new) {
                    await queue.add(key, priority: Self.priority(of: origin))
                }
            case .deleted:
                break
            }
        }
    }

    /// Queues the keys `map` returns for each change of a secondary kind (e.g. the Kustomizations that use a
    /// GitRepository whose artifact changed), at HIGH priority (LOW for the other informer's initial list).
    /// Call before ``run()``.
    package func watch(_ other: Informer, map: @escaping @Sendable (StoreChange) -> [ObjectKey]) {
        let queue = self.queue
        other.addOriginHandler { change, origin in
            let priority = Self.priority(of: origin)
            for key in map(change) { await queue.add(key, priority: priority) }
        }
    }

    /// The priority of a key queued for an informer change: LOW for the initial list (nothing is known to have
    /// changed, client-go's `isInInitialList`), HIGH for watch events and for what a relist found changed.
    package static func priority(of origin: ChangeOrigin) -> WorkPriority {
        origin == .initialList ? .low : .high
    }

    /// Runs the workers until the task is cancelled, then drains.
    package func run() async {
        await informer.waitUntilReady()
        for other in secondary { await other.waitUntilReady() }
        guard !Task.isCancelled else { return }
        logger.info("starting workers", metadata: ["petrel.controller": "\(name)", "workers": "\(concurrency)"])
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                for _ in 0..<concurrency {
                    group.addTask { await self.work() }
                }
            }
        } onCancel: {
            Task { await self.queue.shutDown() }
        }
        await queue.waitUntilIdle()
    }

    private func work() async {
        while let key = await queue.next() {
            let clock = ContinuousClock()
            let start = clock.now
            let logger = reconcileLogger(for: key)
            let outcome: Result<ReconcileResult, any Error>
            do {
                outcome = .success(try await reconciler.reconcile(key, logger: logger))
            } catch {
                outcome = .failure(error)
            }
            let recorded = await handle(outcome, for: key, logger: logger)
            metrics.record(recorded, duration: start.duration(to: clock.now))
            await queue.done(key)
        }
    }

    /// The logger of one reconcile of `key`: the controller's, with the object and a new `petrel.reconcile_id`.
    package func reconcileLogger(for key: ObjectKey) -> Logger {
        var logger = self.logger
        logger[metadataKey: "petrel.controller"] = "\(name)"
        logger[metadataKey: "petrel.namespace"] = "\(key.namespace)"
        logger[metadataKey: "petrel.name"] = "\(key.name)"
        logger[metadataKey: "petrel.reconcile_id"] = "\(UUID().uuidString.lowercased())"
        return logger
    }

    /// Maps a reconcile outcome to queue operations: the only place that does. Timers (`requeue`, `waiting`) queue
    /// the key at LOW priority; a failure (any error, or ``ReconcileInterruption/failed(reason:message:retryAfter:)``)
    /// retries it with backoff at the priority it was handed out with, so a failed event-driven reconcile is retried
    /// ahead of the drift checks.
    /// - Parameter logger: the reconcile's logger (default: the controller's).
    package func handle(
        _ outcome: Result<ReconcileResult, any Error>, for key: ObjectKey, logger: Logger? = nil
    ) async -> ReconcileOutcome {
        let logger = logger ?? self.logger
        switch outcome {
        case .success(.done):
            await queue.forget(key)
            return .success
        case .success(.requeue(let delay)):
            await queue.forget(key)
            await queue.add(key, after: delay, priority: .low)
            return .requeueAfter
        case .failure(ReconcileInterruption.waiting(let delay)):
            await queue.forget(key)
            await queue.add(key, after: delay, priority: .low)
            return .waiting
        case .failure(ReconcileInterruption.stalled(let reason)):
            await queue.forget(key)
            logger.warning("reconcile stalled", metadata: ["petrel.key": "\(key)", "reason": "\(reason)"])
            return .stalled
        case .failure(ReconcileInterruption.failed(let reason, let message, let retryAfter)):
            let delay = await queue.addRateLimited(key, atLeast: retryAfter)
            let logged = message.truncated(toUTF8Bytes: ReconcileInterruption.maxLoggedMessageBytes)
            logger.error(
                "\(logged)",
                metadata: ["petrel.key": "\(key)", "reason": "\(reason)", "retry_after": "\(delay)"])
            return .error
        case .failure(let error):
            // The retry keeps the priority the key ran with (the queue's default for a key in flight).
            let delay = await queue.addRateLimited(key)
            logger.error(
                "reconcile failed; retrying with backoff",
                metadata: ["petrel.key": "\(key)", "error": "\(error)", "retry_after": "\(delay)"])
            return .error
        }
    }
}
