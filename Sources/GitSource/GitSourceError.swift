/// Every error the `GitSource` module throws.
///
/// `reason` is bounded (CamelCase, no associated values) and can become a condition reason or a metric label;
/// `message` says what went wrong and what to do. Messages never contain credentials.
public enum GitSourceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The URL cannot be parsed or uses an unsupported scheme.
    case invalidURL(String)
    /// The server rejected the credentials, or asked for credentials that were not given.
    case authenticationFailed(String)
    /// The SSH host key is missing from `known_hosts` or does not match it.
    case hostKeyVerificationFailed(host: String, detail: String)
    /// The TLS certificate of the server could not be verified.
    case tlsVerificationFailed(String)
    /// The credentials contain a combination the libgit2 layer cannot use.
    case unsupportedCredentials(String)
    /// The secret holds credentials that cannot be used as they are (e.g. a malformed `tls.crt`/`tls.key`).
    case invalidCredentials(String)
    /// The requested branch, tag, name, commit or semver range matches nothing on the remote.
    case referenceNotFound(String)
    /// A semver range or version could not be parsed.
    case invalidSemVer(String)
    /// The remote advertises no refs at all.
    case emptyRepository(url: String)
    /// The operation did not finish before its deadline.
    case timeout(operation: String, seconds: Double)
    /// The calling task was cancelled.
    case cancelled
    /// libgit2 reported an error.
    case gitOperationFailed(operation: String, code: Int32, detail: String)
    /// Creating the tar.gz archive failed.
    case archiveFailed(String)
    /// The repository exceeds a bound (entries, bytes, depth, path length, fetched bytes); the detail names it.
    case limitExceeded(String)
    /// A storage path would escape the storage root, or contains an invalid component.
    case invalidPath(String)
    /// A file operation in the artifact storage failed.
    case storageFailed(String)

    /// A bounded, CamelCase reason.
    public var reason: String {
        switch self {
        case .invalidURL: "URLInvalid"
        case .authenticationFailed: "AuthenticationFailed"
        case .hostKeyVerificationFailed: "HostKeyVerificationFailed"
        case .tlsVerificationFailed: "TLSVerificationFailed"
        case .unsupportedCredentials: "UnsupportedCredentials"
        case .invalidCredentials: "InvalidCredentials"
        case .referenceNotFound: "ReferenceNotFound"
        case .invalidSemVer: "InvalidSemVer"
        case .emptyRepository: "EmptyGitRepository"
        case .timeout: "Timeout"
        case .cancelled: "Cancelled"
        case .gitOperationFailed: "GitOperationFailed"
        case .archiveFailed: "ArchiveOperationFailed"
        case .limitExceeded: "ArtifactLimitExceeded"
        case .invalidPath: "InvalidPath"
        case .storageFailed: "StorageOperationFailed"
        }
    }

    /// A human message saying what is wrong and how to fix it.
    public var message: String {
        switch self {
        case .invalidURL(let detail):
            "invalid Git URL: \(detail); use https://, http://, ssh://, git:// or user@host:path"
        case .authenticationFailed(let detail):
            "authentication failed: \(detail); check the credentials in the referenced secret"
        case .hostKeyVerificationFailed(let host, let detail):
            "SSH host key verification failed for '\(host)': \(detail); put the server's key in the secret's known_hosts"
        case .tlsVerificationFailed(let detail):
            "TLS certificate verification failed: \(detail); add the server's CA as 'ca.crt' to the secret"
        case .unsupportedCredentials(let detail):
            "unsupported credentials: \(detail)"
        case .invalidCredentials(let detail):
            "invalid credentials: \(detail); fix the referenced secret"
        case .referenceNotFound(let detail):
            detail
        case .invalidSemVer(let detail):
            "invalid semver: \(detail)"
        case .emptyRepository(let url):
            "the remote repository '\(url)' has no refs; push a commit first"
        case .timeout(let operation, let seconds):
            "\(operation) did not finish within \(seconds)s; raise spec.timeout or check the remote"
        case .cancelled:
            "the operation was cancelled"
        case .gitOperationFailed(let operation, let code, let detail):
            "failed to \(operation): \(detail) (libgit2 code \(code))"
        case .archiveFailed(let detail):
            "failed to archive the checkout: \(detail)"
        case .limitExceeded(let detail):
            "the repository is too large: \(detail); shrink it, exclude paths with spec.ignore or .sourceignore, or "
                + "point the GitRepository at a smaller repository"
        case .invalidPath(let detail):
            "invalid storage path: \(detail)"
        case .storageFailed(let detail):
            "artifact storage operation failed: \(detail)"
        }
    }

    public var description: String { "\(reason): \(message)" }
}
