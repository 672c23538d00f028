import CLibGit2
import Foundation
import Logging

/// A commit checked out by ``GitClient/checkout(url:reference:credentials:into:timeout:lastRevision:)``.
public struct GitCommit: Sendable, Equatable {
    /// The full commit hash (hex).
    public var hash: String
    /// The Flux v1 revision string (`main@sha1:<hash>`).
    public var revision: String
    /// The full ref that was fetched, or nil for a bare commit.
    public var reference: String?
    /// The first line of the commit message.
    public var subject: String

    public init(hash: String, revision: String, reference: String?, subject: String) {
        self.hash = hash
        self.revision = revision
        self.reference = reference
        self.subject = subject
    }
}

/// The outcome of a checkout.
public enum GitCheckoutResult: Sendable, Equatable {
    /// The remote still points at `revision`, which equals the last revision: nothing was downloaded.
    case unchanged(revision: String)
    /// The commit was fetched and its tree written to the directory.
    case checkedOut(GitCommit)
}

/// The outcome of a fetch without a working tree.
public enum GitFetchResult: Sendable, Equatable {
    /// The remote still points at `revision`, which equals the last revision: nothing was downloaded.
    case unchanged(revision: String)
    /// The commit's objects are in the bare repository; archive it with ``TreeArchiver``.
    case fetched(GitCommit)
}

/// Clones and lists Git remotes with libgit2, the way Flux's source-controller does.
///
/// Every blocking libgit2 call runs on a dedicated thread, never on Swift's cooperative pool.
///
/// ## Guarantees
/// - Every operation fails within its timeout (capped at ``maximumTimeout``) plus a few seconds, whatever the
///   remote does: Petrel's own socket and TLS streams (``GitOperation``) bound every connect, read and write, and a
///   watchdog shuts the sockets down. Operations share no process-wide state, so they run concurrently.
///
/// ## Caveats
/// - Fetches are full (libgit2 1.5 cannot clone shallowly), limited to the one ref that was asked for.
/// - HTTPS goes through OpenSSL (libgit2's mbedTLS stream is replaced); proxies are not supported.
/// - Submodules are fetched only by ``fetch(url:reference:credentials:into:timeout:lastRevision:recurseSubmodules:)``
///   with `recurseSubmodules`, and only their branches and tags (a recorded commit on neither is an error).
public struct GitClient: Sendable {
    let logger: Logger
    /// The most pack bytes one operation may receive (submodules included); the fetch's disk use in `$TMPDIR` is
    /// about this much plus its index. Default ``defaultMaxFetchBytes``.
    public let maxFetchBytes: Int

    /// The default cap on one fetch: 1 GiB of pack data.
    public static let defaultMaxFetchBytes = 1 << 30

    /// Creates a client.
    /// - Parameters:
    ///   - logger: for debug lines; defaults to a no-op logger.
    ///   - maxFetchBytes: the cap on the pack bytes one operation receives.
    public init(
        logger: Logger = Logger(label: "petrel.gitsource", factory: { _ in SwiftLogNoOpLogHandler() }),
        maxFetchBytes: Int = GitClient.defaultMaxFetchBytes
    ) {
        self.logger = logger
        self.maxFetchBytes = maxFetchBytes
    }

    /// Lists the refs the remote advertises (`git ls-remote`), without downloading objects.
    ///
    /// - Throws: ``GitSourceError``.
    public func listReferences(
        url: String, credentials: GitCredentials = GitCredentials(), timeout: Duration = .seconds(60)
    ) async throws -> GitRemoteRefs {
        try await withSession(url: url, credentials: credentials, timeout: timeout) { session, payload in
            try Self.listRemote(session: session, payload: payload)
        }
    }

    /// Resolves `reference` on the remote and checks its commit out into `directory` (created; must not exist or be empty).
    ///
    /// - Parameters:
    ///   - lastRevision: the revision of the stored artifact; when the remote still resolves to it, returns
    ///     ``GitCheckoutResult/unchanged(revision:)`` after listing refs only (Flux's no-op path).
    ///   - timeout: deadline for the whole operation (Flux's `spec.timeout`, default 60 s).
    /// - Throws: ``GitSourceError``.
    public func checkout(
        url: String, reference: GitReference, credentials: GitCredentials = GitCredentials(), into directory: URL,
        timeout: Duration = .seconds(60), lastRevision: String? = nil
    ) async throws -> GitCheckoutResult {
        let result = try await resolveAndFetch(
            url: url, reference: reference, credentials: credentials, into: directory, timeout: timeout,
            lastRevision: lastRevision, workingTree: true)
        switch result {
        case .unchanged(let revision): return .unchanged(revision: revision)
        case .fetched(let commit): return .checkedOut(commit)
        }
    }

    /// Resolves `reference` on the remote and fetches its commit into a new bare repository at `repository`,
    /// without checking out a working tree; ``TreeArchiver/archive(repository:commit:to:rules:recurseSubmodules:)``
    /// then packs the commit straight from the object database. This is the fast path of the controller.
    ///
    /// - Parameters:
    ///   - lastRevision: as in ``checkout(url:reference:credentials:into:timeout:lastRevision:)``.
    ///   - timeout: deadline for the whole operation (Flux's `spec.timeout`, default 60 s).
    ///   - recurseSubmodules: also fetch the commits the tree records for its submodules (URLs from the commit's
    ///     `.gitmodules`, relative ones resolved against `url`; credentials only on the same scheme, host and port,
    ///     never over plain http), into the same repository, so
    ///     that ``TreeArchiver`` can archive them in place (`recurseSubmodules: true` there too).
    /// - Throws: ``GitSourceError``.
    public func fetch(
        url: String, reference: GitReference, credentials: GitCredentials = GitCredentials(), into repository: URL,
        timeout: Duration = .seconds(60), lastRevision: String? = nil, recurseSubmodules: Bool = false
    ) async throws -> GitFetchResult {
        try await resolveAndFetch(
            url: url, reference: reference, credentials: credentials, into: repository, timeout: timeout,
            lastRevision: lastRevision, workingTree: false, recurseSubmodules: recurseSubmodules)
    }

    private func resolveAndFetch(
        url: String, reference: GitReference, credentials: GitCredentials, into directory: URL, timeout: Duration,
        lastRevision: String?, workingTree: Bool, recurseSubmodules: Bool = false
    ) async throws -> GitFetchResult {
        if let commit = reference.commit?.lowercased(), reference.branch?.isEmpty ?? true,
            lastRevision == "sha1:\(commit)"
        {
            return .unchanged(revision: "sha1:\(commit)")
        }
        let logger = self.logger
        return try await withSession(url: url, credentials: credentials, timeout: timeout) { session, payload in
            let refs = try Self.listRemote(session: session, payload: payload)
            let resolved = try ReferenceResolver.resolve(reference, in: refs, url: session.url.redacted)
            if let lastRevision, resolved.revision == lastRevision {
                logger.debug("remote unchanged", metadata: ["petrel.revision": "\(lastRevision)"])
                return .unchanged(revision: lastRevision)
            }
            let commit = try Self.fetchCommit(
                resolved, session: session, payload: payload, directory: directory, workingTree: workingTree,
                recurseSubmodules: recurseSubmodules)
            logger.debug("fetched", metadata: ["petrel.revision": "\(commit.revision)"])
            return .fetched(commit)
        }
    }

    private func withSession<T: Sendable>(
        url: String, credentials: GitCredentials, timeout: Duration,
        _ body: @escaping @Sendable (RemoteSession, UnsafeMutableRawPointer) throws -> T
    ) async throws -> T {
        let parsed = try GitURL(parsing: url)
        let clientCertificate = try Self.clientCertificate(credentials, scheme: parsed.scheme)
        if parsed.scheme == "ssh", credentials.identity != nil, credentials.knownHosts == nil {
            throw GitSourceError.hostKeyVerificationFailed(
                host: parsed.host, detail: "'known_hosts' is required in the secret for SSH")
        }
        let operation = try GitOperation(timeout: Self.bounded(timeout), maxReceivedBytes: maxFetchBytes)
        try operation.configureTLS(
            caCertificate: credentials.caCertificate, clientCertificate: clientCertificate, host: parsed.host,
            port: parsed.effectivePort)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-git-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(
                at: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw GitSourceError.storageFailed("cannot create a scratch directory: \(error)")
        }
        defer { try? FileManager.default.removeItem(at: scratch) }
        let session = RemoteSession(url: parsed, credentials: credentials, operation: operation, scratch: scratch)
        return try await operation.run {
            let payload = Unmanaged.passRetained(session).toOpaque()
            defer { Unmanaged<RemoteSession>.fromOpaque(payload).release() }
            do { return try body(session, payload) } catch let error as GitSourceError { throw error } catch {
                throw GitSourceError.gitOperationFailed(operation: "run git operation", code: -1, detail: "\(error)")
            }
        }
    }

    /// Runs blocking work (libgit2, archiving) on a dedicated thread with an 8 MiB stack, never on the cooperative
    /// pool, and awaits its result.
    public static func runBlocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await LibGit2Runtime.runBlocking(body)
    }

    /// The longest a remote operation may take, whatever `spec.timeout` asks for: 10 minutes.
    public static let maximumTimeout: Duration = .seconds(600)

    /// `timeout` clamped to 1 ms ... ``maximumTimeout``.
    public static func bounded(_ timeout: Duration) -> Duration {
        min(max(timeout, .milliseconds(1)), maximumTimeout)
    }

    /// `tls.crt` + `tls.key` for an HTTPS remote; both or neither must be given. Other schemes ignore them.
    static func clientCertificate(
        _ credentials: GitCredentials, scheme: String
    ) throws(GitSourceError) -> ClientCertificate? {
        guard scheme == "https" else { return nil }
        let certificate = credentials.tlsCertificate.flatMap { $0.isEmpty ? nil : $0 }
        let key = credentials.tlsKey.flatMap { $0.isEmpty ? nil : $0 }
        switch (certificate, key) {
        case (nil, nil): return nil
        case (let certificate?, let key?): return ClientCertificate(certificate: certificate, key: key)
        case (nil, _): throw .invalidCredentials("'tls.key' is set but 'tls.crt' is missing")
        case (_, nil): throw .invalidCredentials("'tls.crt' is set but 'tls.key' is missing")
        }
    }

    static func headers(_ credentials: GitCredentials) -> [String] {
        guard let token = credentials.bearerToken, !token.isEmpty else { return [] }
        return ["Authorization: Bearer \(token)"]
    }

    static func withStringArray<R>(_ strings: [String], _ body: (inout git_strarray) throws -> R) rethrows -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        return try pointers.withUnsafeMutableBufferPointer { buffer in
            var array = git_strarray(strings: buffer.baseAddress, count: strings.count)
            return try body(&array)
        }
    }

    static func hex(_ oid: git_oid) -> String {
        var copy = oid
        return String(cString: git_oid_tostr_s(&copy))
    }

    static func listRemote(session: RemoteSession, payload: UnsafeMutableRawPointer) throws -> GitRemoteRefs {
        var remotePointer: OpaquePointer?
        var code = git_remote_create_detached(&remotePointer, session.url.libgit2URL)
        guard code == 0, let remote = remotePointer else { throw session.error(operation: "create remote", code: code) }
        defer { git_remote_free(remote) }
        var callbacks = session.callbacks(payload: payload)
        var proxy = git_proxy_options()
        git_proxy_options_init(&proxy, UInt32(GIT_PROXY_OPTIONS_VERSION))
        code = withStringArray(headers(session.credentials)) { headers in
            git_remote_connect(remote, GIT_DIRECTION_FETCH, &callbacks, &proxy, &headers)
        }
        guard code == 0 else { throw session.error(operation: "list refs of \(session.url.redacted)", code: code) }
        defer { git_remote_disconnect(remote) }
        var heads: UnsafeMutablePointer<UnsafePointer<git_remote_head>?>?
        var count = 0
        code = git_remote_ls(&heads, &count, remote)
        guard code == 0 else { throw session.error(operation: "list refs of \(session.url.redacted)", code: code) }
        var result = GitRemoteRefs(refs: [:])
        for index in 0..<count {
            guard let head = heads?[index], let namePointer = head.pointee.name else { continue }
            let name = String(cString: namePointer)
            let oid = hex(head.pointee.oid)
            if name == "HEAD" {
                result.head = head.pointee.symref_target.map { String(cString: $0) }
            } else if name.hasSuffix("^{}") {
                result.peeled[String(name.dropLast(3))] = oid
            } else {
                result.refs[name] = oid
            }
        }
        return result
    }

    static func fetchCommit(
        _ resolved: ResolvedReference, session: RemoteSession, payload: UnsafeMutableRawPointer, directory: URL,
        workingTree: Bool, recurseSubmodules: Bool = false
    ) throws -> GitCommit {
        var repoPointer: OpaquePointer?
        var code = git_repository_init(&repoPointer, directory.path, workingTree ? 0 : 1)
        guard code == 0, let repo = repoPointer else { throw session.error(operation: "initialise repository", code: code) }
        defer { git_repository_free(repo) }
        var remotePointer: OpaquePointer?
        code = git_remote_create_anonymous(&remotePointer, repo, session.url.libgit2URL)
        guard code == 0, let remote = remotePointer else { throw session.error(operation: "create remote", code: code) }
        defer { git_remote_free(remote) }

        var options = git_fetch_options()
        git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION))
        options.callbacks = session.callbacks(payload: payload)
        options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
        let refspecs =
            resolved.fetchRef.map { ["+\($0):refs/petrel/checkout"] }
            ?? ["+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"]
        code = withStringArray(headers(session.credentials)) { headers in
            options.custom_headers = headers
            return withStringArray(refspecs) { specs in git_remote_fetch(remote, &specs, &options, nil) }
        }
        guard code == 0 else { throw session.error(operation: "fetch from \(session.url.redacted)", code: code) }

        var oid = git_oid()
        guard git_oid_fromstr(&oid, resolved.commit) == 0 else {
            throw GitSourceError.referenceNotFound("'\(resolved.commit)' is not a commit hash")
        }
        var commitPointer: OpaquePointer?
        guard git_commit_lookup(&commitPointer, repo, &oid) == 0, let commit = commitPointer else {
            let scope = resolved.fetchRef.map { " in \($0)" } ?? ""
            throw GitSourceError.referenceNotFound("commit '\(resolved.commit)' not found\(scope)")
        }
        defer { git_commit_free(commit) }
        let subject = git_commit_summary(commit).map { String(cString: $0) } ?? ""
        let fetched = GitCommit(
            hash: resolved.commit, revision: resolved.revision, reference: resolved.fetchRef, subject: subject)
        if recurseSubmodules {
            try Submodules.fetch(repo: repo, commit: oid, parentURL: session.url.libgit2URL, session: session)
        }
        guard workingTree else { return fetched }
        var checkout = git_checkout_options()
        git_checkout_options_init(&checkout, UInt32(GIT_CHECKOUT_OPTIONS_VERSION))
        checkout.checkout_strategy = GIT_CHECKOUT_FORCE.rawValue
        code = git_checkout_tree(repo, commit, &checkout)
        guard code == 0 else { throw session.error(operation: "check out \(resolved.commit)", code: code) }
        code = git_repository_set_head_detached(repo, &oid)
        guard code == 0 else { throw session.error(operation: "set HEAD to \(resolved.commit)", code: code) }
        return fetched
    }
}
