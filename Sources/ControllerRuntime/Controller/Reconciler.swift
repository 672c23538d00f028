import Logging

/// What a successful reconcile asks of the queue.
package enum ReconcileResult: Sendable, Equatable {
    /// Nothing more until the object changes.
    case done
    /// Reconcile again after this delay (the object's interval).
    case requeue(after: Duration)
}

/// How a reconcile stopped short, classified by the reconciler; ``Controller`` maps each case to the queue. Any
/// other error thrown is transient: the key is retried with its exponential backoff.
package enum ReconcileInterruption: Error, Sendable, Equatable {
    /// Nothing is wrong, but the reconcile cannot go on yet (e.g. a dependency is not ready): retry after `delay`,
    /// without growing the backoff.
    case waiting(requeueAfter: Duration)
    /// Retrying cannot help until the object changes (e.g. an invalid spec): no retry.
    case stalled(reason: String)
    /// The reconcile failed and the reconciler has already reported it (status, Event): counted as an error and
    /// retried with the key's backoff, but no sooner than `retryAfter` (Flux's `spec.retryInterval`).
    /// - Parameters:
    ///   - reason: a bounded CamelCase reason (e.g. `BuildFailed`), logged.
    ///   - message: what went wrong, logged (cut at ``ReconcileInterruption/maxLoggedMessageBytes``).
    case failed(reason: String, message: String, retryAfter: Duration)

    /// The longest failure message the controller logs, in UTF-8 bytes.
    package static let maxLoggedMessageBytes = 4_096
}

/// Reconciles one object, level-based: given the same inputs it converges to the same state.
package protocol Reconciler: Sendable {
    /// Brings the object with `key` to its desired state.
    /// - Parameters:
    ///   - key: the object's namespace and name.
    ///   - logger: the controller's logger with this reconcile's metadata (`petrel.controller`,
    ///     `petrel.namespace`, `petrel.name`, `petrel.reconcile_id`); the reconciler adds its own (`petrel.kind`).
    /// - Returns: when to reconcile again.
    /// - Throws: ``ReconcileInterruption`` for waiting, stalled and reported failures; any other error is retried
    ///   with backoff.
    func reconcile(_ key: ObjectKey, logger: Logger) async throws -> ReconcileResult
}

/// The one place where reconcile outcomes map to queue operations.
package enum ReconcileOutcome: String, Sendable, CaseIterable {
    case success
    case requeueAfter = "requeue_after"
    case waiting
    case stalled
    case error
}
