/// One object the apply engine could not handle, with the reason in words (the server's message where there is one).
package struct ApplyFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The object; `nil` for a manifest too broken to name.
    package var id: ResourceID?
    package var message: String

    package init(id: ResourceID?, message: String) {
        self.id = id
        self.message = message
    }

    package var description: String { message }
}

/// Every error of the apply engine. ``reason`` is the Flux condition reason (`ReconciliationFailed`,
/// `PruneFailed`, `HealthCheckFailed`); ``message`` names each object (`Deployment/apps/web`) and the server's
/// message with the field at fault.
package enum ApplyError: Error, Sendable, CustomStringConvertible {
    /// A manifest lacks `apiVersion`, `kind` or `metadata.name`.
    case invalidManifest(String)
    /// Server-side dry-run rejected one or more objects; nothing of their stage was written.
    case validationFailed([ApplyFailure])
    /// A real apply (or the delete of a forced recreate) failed.
    case applyFailed([ApplyFailure])
    /// CustomResourceDefinitions applied in the first stage did not become Established in time.
    case notEstablished([ResourceID])
    /// Some stale objects could not be deleted; `deleted` lists those that were.
    case pruneFailed([ApplyFailure], deleted: [ChangeSetEntry])
    /// An object reached a failed state (fail-fast) before the others became healthy.
    case healthCheckFailed([ApplyFailure])
    /// The timeout passed before every object became healthy; lists those that were not.
    case healthCheckTimedOut([ApplyFailure], timeout: Duration)

    /// Flux's condition reason for this failure.
    package var reason: String {
        switch self {
        case .invalidManifest, .validationFailed, .applyFailed, .notEstablished: "ReconciliationFailed"
        case .pruneFailed: "PruneFailed"
        case .healthCheckFailed, .healthCheckTimedOut: "HealthCheckFailed"
        }
    }

    /// What went wrong, object by object.
    package var message: String {
        switch self {
        case .invalidManifest(let detail): "invalid manifest: \(detail)"
        case .validationFailed(let failures), .applyFailed(let failures): Self.join(failures)
        case .notEstablished(let ids):
            "CustomResourceDefinitions not established in time: \(ids.map(\.description).joined(separator: ", "))"
        case .pruneFailed(let failures, _): "prune failed: " + Self.join(failures)
        case .healthCheckFailed(let failures): "health check failed: " + Self.join(failures)
        case .healthCheckTimedOut(let failures, let timeout):
            "health check timed out after \(timeout) waiting for: [\(failures.map(\.message).joined(separator: ", "))]"
        }
    }

    /// The objects this error is about.
    package var objects: [ResourceID] {
        switch self {
        case .invalidManifest: []
        case .validationFailed(let failures), .applyFailed(let failures), .pruneFailed(let failures, _),
            .healthCheckFailed(let failures), .healthCheckTimedOut(let failures, _):
            failures.compactMap(\.id)
        case .notEstablished(let ids): ids
        }
    }

    package var description: String { "\(reason): \(message)" }

    private static func join(_ failures: [ApplyFailure]) -> String {
        failures.map(\.message).joined(separator: "\n")
    }
}
