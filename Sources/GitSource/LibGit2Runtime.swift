import CLibGit2
import CPetrelTLS
import Foundation

/// Process-wide libgit2 set-up and the thread that runs blocking calls.
enum LibGit2Runtime {
    /// `git_libgit2_init` runs once, on first use (a global `let` is initialised lazily and exactly once).
    static let initialized: Bool = {
        _ = git_libgit2_init()
        // Repositories are created by this process in its own temp dirs; owner checks only get in the way.
        _ = petrel_git_set_owner_validation(0)
        // Every object this process reads comes from a pack it fetched itself, and the indexer computed each
        // object's id from its content while indexing that pack; hashing each blob again on every read only
        // costs time (about 40 % of reading a 5,000-file tree).
        _ = petrel_git_set_strict_hash_verification(0)
        // Petrel's own socket and TLS streams, with per-operation deadlines and CAs (see GitOperation).
        return petrel_streams_register() == 0
    }()

    /// Runs `body` on a new dedicated thread (never on the cooperative pool) and awaits its result.
    static func runBlocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try body() })
            }
            thread.stackSize = 8 << 20
            thread.name = "petrel-libgit2"
            thread.start()
        }
    }

    /// The message of the last libgit2 error on this thread.
    static var lastMessage: String {
        git_error_last().flatMap { $0.pointee.message.map { String(cString: $0) } } ?? "unknown error"
    }

    /// The last libgit2 error as a ``GitSourceError``.
    static func lastError(operation: String, code: Int32) -> GitSourceError {
        let detail = git_error_last().flatMap { $0.pointee.message.map { String(cString: $0) } } ?? "unknown error"
        if code == GIT_EAUTH.rawValue { return .authenticationFailed(detail) }
        if code == GIT_ECERTIFICATE.rawValue { return .tlsVerificationFailed(detail) }
        if code == GIT_ENOTFOUND.rawValue, operation.hasPrefix("look up") { return .referenceNotFound(detail) }
        return .gitOperationFailed(operation: operation, code: code, detail: detail)
    }
}

/// A client certificate and its private key (PEM), from `tls.crt` and `tls.key`.
struct ClientCertificate: Sendable {
    var certificate: String
    var key: String
}
