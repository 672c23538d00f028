/// What a successful reconcile asks of the queue.
package enum ReconcileResult: Sendable, Equatable {
    /// Nothing more until the object changes.
    case done
    /// Reconcile again after this delay (the object's interval).
    case requeue(after: Duration)
}

/// Outcomes of a reconcile that are not plain failures. Any other error thrown is transient: the key is retried
/// with its exponential backoff.
package enum ReconcileInterruption: Error, Sendable, Equatable {
    /// Nothing is wrong, but the reconcile cannot go on yet (e.g. a dependency is not ready): retry after `delay`,
    /// without growing the backoff.
    case waiting(requeueAfter: Duration)
    /// Retrying cannot help until the object changes (e.g. an invalid spec): no retry.
    case stalled(reason: String)
}

/// Reconciles one object, level-based: given the same inputs it converges to the same state.
package protocol Reconciler: Sendable {
    /// Brings the object with `key` to its desired state.
    /// - Returns: when to reconcile again.
    /// - Throws: ``ReconcileInterruption`` for waiting and stalled outcomes; any other error is retried with backoff.
    func reconcile(_ key: ObjectKey) async throws -> ReconcileResult
}

/// The one place where reconcile outcomes map to queue operations.
package enum ReconcileOutcome: String, Sendable, CaseIterable {
    case success
    case requeueAfter = "requeue_after"
    case waiting
    case stalled
    case error
}
