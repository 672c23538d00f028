import CLibGit2
import CPetrelTLS
import Foundation
import Synchronization

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
        return true
    }()

    /// The CA locations are a libgit2 global: HTTPS operations hold this lock while they set and use them.
    static let tlsLock = NSLock()

    static let systemBundle = "/etc/ssl/certs/ca-certificates.crt"

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

    /// Makes HTTPS use the system bundle plus `caCertificate` (if any) while `body` runs, and present
    /// `clientCertificate` (mutual TLS) through Petrel's OpenSSL stream when given.
    ///
    /// `GIT_OPT_SET_SSL_CERT_LOCATIONS` replaces the bundle, so the CA is appended to a copy of the system bundle.
    /// Both settings are process-wide in libgit2, hence the lock: HTTPS operations run one at a time.
    static func withCertificates<T>(
        https: Bool, caCertificate: String?, clientCertificate: ClientCertificate? = nil,
        timeout: Duration = .seconds(60), in scratch: URL, _ body: () throws(GitSourceError) -> T
    ) throws(GitSourceError) -> T {
        guard https else { return try body() }
        tlsLock.lock()
        defer { tlsLock.unlock() }
        var bundle = systemBundle
        if let caCertificate, !caCertificate.isEmpty {
            let file = scratch.appendingPathComponent("ca-bundle.crt")
            var contents = (try? String(contentsOfFile: systemBundle, encoding: .utf8)) ?? ""
            contents += "\n" + caCertificate + "\n"
            do { try contents.write(to: file, atomically: true, encoding: .utf8) } catch {
                throw .storageFailed("cannot write the CA bundle: \(error)")
            }
            bundle = file.path
        }
        if petrel_git_set_ssl_cert_locations(bundle, nil) < 0 {
            throw LibGit2Runtime.lastError(operation: "load CA certificates", code: -1)
        }
        guard let clientCertificate else { return try body() }
        let seconds = Int32(clamping: max(1, timeout.components.seconds + (timeout.components.attoseconds > 0 ? 1 : 0)))
        if petrel_tls_stream_enable(bundle, clientCertificate.certificate, clientCertificate.key, seconds) != 0 {
            throw .invalidCredentials(lastMessage)
        }
        defer { petrel_tls_stream_disable() }
        return try body()
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
