import PetrelAPI

/// Why a Kustomization reconcile did not reach Ready=True.
///
/// ``reason`` is the Flux condition reason written to Ready (and the Event reason); ``message`` names the file,
/// object or field at fault. Messages never carry secret values.
package enum KustomizationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The source is missing, has no artifact, or its artifact could not be downloaded, verified or extracted.
    case artifactFailed(String)
    /// `kustomize build` or postBuild substitution failed.
    case buildFailed(String)
    /// The server-side dry-run or the apply failed.
    case reconciliationFailed(String)
    /// Deleting stale objects failed.
    case pruneFailed(String)
    /// A health check failed or timed out.
    case healthCheckFailed(String)
    /// A `dependsOn` entry is not ready.
    case dependencyNotReady(String)
    /// A cross-namespace reference was refused (`--no-cross-namespace-refs`).
    case accessDenied(String)

    /// The Flux condition reason.
    package var reason: String {
        switch self {
        case .artifactFailed: ConditionReason.artifactFailed
        case .buildFailed: ConditionReason.buildFailed
        case .reconciliationFailed: ConditionReason.reconciliationFailed
        case .pruneFailed: ConditionReason.pruneFailed
        case .healthCheckFailed: ConditionReason.healthCheckFailed
        case .dependencyNotReady: ConditionReason.dependencyNotReady
        case .accessDenied: ConditionReason.accessDenied
        }
    }

    /// What is wrong, naming the file, object or field.
    package var message: String {
        switch self {
        case .artifactFailed(let detail), .buildFailed(let detail), .reconciliationFailed(let detail),
            .pruneFailed(let detail), .healthCheckFailed(let detail), .dependencyNotReady(let detail),
            .accessDenied(let detail):
            detail
        }
    }

    package var description: String { "\(reason): \(message)" }
}
