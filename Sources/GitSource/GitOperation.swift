import CPetrelTLS
import Foundation

/// The sockets, deadline and TLS settings of one remote operation (listing refs, fetching, submodules).
///
/// Petrel's own libgit2 streams (`CPetrelTLS`) read these settings from the operation bound to the thread that
/// runs libgit2, so operations never share a process-wide setting and run concurrently: one stalled remote holds
/// only its own thread.
///
/// ## Guarantees
/// - Every connect, read and write of the operation fails once ``deadline`` has passed, so a silent or trickling
///   remote fails within the timeout (http, https and git:// are cut by the streams themselves).
/// - A watchdog aborts the operation ``watchdogGrace`` after the deadline, and task cancellation aborts it at once:
///   its sockets are shut down, which also ends an SSH session that libssh2 drives on its own.
/// - The client certificate is presented only to the remote's own host and port.
///
/// ## Caveats
/// - Name resolution (`getaddrinfo`) cannot be interrupted; the system resolver's own timeouts bound it.
final class GitOperation: @unchecked Sendable {
    /// Why an operation was aborted.
    enum AbortReason: Sendable, Equatable {
        case timeout, cancelled
    }

    /// How long after the deadline the watchdog aborts an operation the streams did not end themselves.
    static let watchdogGrace: Duration = .seconds(2)

    private let handle: OpaquePointer
    let timeout: Duration
    let deadline: ContinuousClock.Instant
    /// The most pack bytes the operation may receive, submodules included (the fetch's disk use in `$TMPDIR`).
    let maxReceivedBytes: Int

    /// An operation whose sockets fail `timeout` from now.
    init(timeout: Duration, maxReceivedBytes: Int = GitClient.defaultMaxFetchBytes) throws(GitSourceError) {
        guard LibGit2Runtime.initialized else {
            throw .gitOperationFailed(
                operation: "register Petrel's git streams", code: -1, detail: LibGit2Runtime.lastMessage)
        }
        let milliseconds = timeout.components.seconds &* 1000 &+ timeout.components.attoseconds / 1_000_000_000_000_000
        guard let handle = petrel_operation_new(max(1, milliseconds)) else {
            throw .storageFailed("out of memory for a git operation")
        }
        self.handle = handle
        self.maxReceivedBytes = maxReceivedBytes
        self.timeout = timeout
        self.deadline = .now + timeout
    }

    deinit { petrel_operation_release(handle) }

    /// Trusts `caCertificate` besides the system bundle and presents `clientCertificate` to `host`:`port`.
    ///
    /// - Throws: ``GitSourceError/invalidCredentials(_:)`` for PEM data OpenSSL cannot use.
    func configureTLS(
        caCertificate: String?, clientCertificate: ClientCertificate?, host: String, port: Int
    ) throws(GitSourceError) {
        let ca = caCertificate.flatMap { $0.isEmpty ? nil : $0 }
        guard ca != nil || clientCertificate != nil else { return }
        if petrel_operation_set_tls(
            handle, ca, clientCertificate?.certificate, clientCertificate?.key, host, String(port)) != 0
        {
            throw .invalidCredentials(LibGit2Runtime.lastMessage)
        }
    }

    /// Aborts the operation: its sockets are shut down and libgit2 fails at its next read or write.
    func abort(_ reason: AbortReason) {
        petrel_operation_abort(handle, reason == .timeout ? 1 : 2)
    }

    /// Why the operation was aborted, if it was (the streams abort it themselves at the deadline).
    var abortReason: AbortReason? {
        switch petrel_operation_abort_reason(handle) {
        case 1: .timeout
        case 2: .cancelled
        default: nil
        }
    }

    /// Runs the blocking libgit2 `body` on a dedicated thread bound to this operation, with a watchdog that aborts
    /// it past the deadline; cancelling the calling task aborts it too.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withTaskCancellationHandler {
            try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    try await LibGit2Runtime.runBlocking { [self] in
                        petrel_operation_bind(handle)
                        defer { petrel_operation_bind(nil) }
                        return try body()
                    }
                }
                group.addTask { [self] in
                    do { try await Task.sleep(until: deadline + Self.watchdogGrace, clock: .continuous) } catch {
                        return nil
                    }
                    abort(.timeout)
                    return nil
                }
                while let next = try await group.next() {
                    if let value = next {
                        group.cancelAll()
                        return value
                    }
                }
                throw GitSourceError.cancelled  // unreachable: the blocking child returns or throws
            }
        } onCancel: {
            abort(.cancelled)
        }
    }
}
