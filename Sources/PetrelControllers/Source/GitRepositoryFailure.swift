import GitSource
import PetrelAPI

/// Why a GitRepository reconcile failed, already in the terms of its status: the abnormal condition to raise
/// (`FetchFailed` or `StorageOperationFailed`), a Flux reason, and a message without secrets.
package struct GitRepositoryFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The condition type set to True, e.g. ``PetrelAPI/ConditionType/fetchFailed``.
    package var condition: String
    /// A bounded CamelCase reason, e.g. `GitOperationFailed`, `AuthenticationFailed`, `URLInvalid`.
    package var reason: String
    /// What went wrong and what to do.
    package var message: String
    /// Whether retrying cannot help until the object changes (Stalled=True, no retry).
    package var stalled: Bool
    /// The earliest retry, for failures that a quick retry would only repeat: a remote that let the operation run
    /// into its timeout is retried after that timeout, not after the queue's short initial backoff, so remotes
    /// that stall cannot keep every worker busy.
    package var retryAfter: Duration?

    package init(condition: String, reason: String, message: String, stalled: Bool = false) {
        self.condition = condition
        self.reason = reason
        self.message = message
        self.stalled = stalled
    }

    package var description: String { "\(reason): \(message)" }

    /// A fetch failure (FetchFailed=True).
    static func fetch(_ reason: String, _ message: String, stalled: Bool = false) -> Self {
        Self(condition: ConditionType.fetchFailed, reason: reason, message: message, stalled: stalled)
    }

    /// A storage failure (StorageOperationFailed=True).
    static func storage(_ reason: String, _ message: String) -> Self {
        Self(condition: ConditionType.storageOperationFailed, reason: reason, message: message)
    }

    /// Maps a ``GitSource/GitSourceError`` to Flux's condition and reason; `url` is the redacted remote address,
    /// `object` the GitRepository's `namespace/name`, named in limit errors.
    static func from(_ error: GitSourceError, url: String, object: String = "") -> Self {
        switch error {
        case .limitExceeded:
            // Retrying soon would only fetch and walk the same oversized tree again.
            var failure = Self.fetch(error.reason, "GitRepository '\(object)': \(error.message)")
            failure.retryAfter = .seconds(300)
            return failure
        case .invalidURL:
            return .fetch(ConditionReason.urlInvalid, error.message, stalled: true)
        case .invalidSemVer:
            return .fetch(ConditionReason.gitOperationFailed, error.message, stalled: true)
        case .unsupportedCredentials, .invalidCredentials:
            return .fetch(ConditionReason.authenticationFailed, error.message, stalled: true)
        case .authenticationFailed(let detail):
            return .fetch(
                ConditionReason.authenticationFailed,
                "authentication failed for \(url): \(detail); check the credentials in the referenced secret")
        case .hostKeyVerificationFailed, .tlsVerificationFailed:
            return .fetch(ConditionReason.authenticationFailed, "\(error.message) (remote \(url))")
        case .emptyRepository:
            return .fetch(ConditionReason.emptyGitRepository, error.message)
        case .timeout(_, let seconds):
            var failure = Self.fetch(ConditionReason.gitOperationFailed, error.message)
            failure.retryAfter = .milliseconds(Int64((min(max(seconds, 1), 3600) * 1000).rounded()))
            return failure
        case .referenceNotFound, .cancelled, .gitOperationFailed:
            return .fetch(ConditionReason.gitOperationFailed, error.message)
        case .archiveFailed, .storageFailed:
            return .storage(ConditionReason.archiveOperationFailed, error.message)
        case .invalidPath:
            return .storage(ConditionReason.invalidPath, error.message)
        }
    }
}
