import CLibGit2
import Crypto
import Foundation

/// State shared with the libgit2 callbacks of one remote operation (passed as the callbacks' payload).
///
/// Only the libgit2 thread touches the mutable fields; the ``operation`` may be aborted from any thread.
final class RemoteSession: @unchecked Sendable {
    let url: GitURL
    let credentials: GitCredentials
    let knownHosts: KnownHosts?
    /// The deadline, sockets and TLS settings, shared with the submodule fetches of the same operation.
    let operation: GitOperation
    let scratch: URL
    var deadline: ContinuousClock.Instant { operation.deadline }
    var timeout: Duration { operation.timeout }
    /// A precise error recorded by a callback; it wins over libgit2's generic message.
    var failure: GitSourceError?
    var passwordAttempts = 0
    var keyAttempts = 0

    init(url: GitURL, credentials: GitCredentials, operation: GitOperation, scratch: URL) {
        self.url = url
        self.credentials = credentials
        self.knownHosts = credentials.knownHosts.map(KnownHosts.init)
        self.operation = operation
        self.scratch = scratch
    }

    /// Returns a negative value (abort) when past the deadline or cancelled.
    func checkDeadline() -> Int32 {
        if ContinuousClock.now > deadline { operation.abort(.timeout) }
        guard let reason = operation.abortReason else { return 0 }
        failure = failure ?? abortError(reason)
        git_error_set_str(Int32(GIT_ERROR_NET.rawValue), reason == .timeout ? "operation timed out" : "operation cancelled")
        return -1
    }

    /// The transfer callback: the deadline, and the bytes received so far against the operation's cap.
    func checkReceived(_ received: Int) -> Int32 {
        if checkDeadline() < 0 { return -1 }
        let limit = operation.maxReceivedBytes
        guard received > limit else { return 0 }
        return fail(
            .limitExceeded("the fetch of \(url.redacted) received more than \(limit) bytes (the cap on one fetch)"),
            code: -1)
    }

    func abortError(_ reason: GitOperation.AbortReason) -> GitSourceError {
        guard reason == .timeout else { return .cancelled }
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        return .timeout(operation: "git fetch of \(url.redacted)", seconds: seconds)
    }

    func fail(_ error: GitSourceError, code: Int32) -> Int32 {
        failure = error
        git_error_set_str(Int32(GIT_ERROR_NET.rawValue), error.message)
        return code
    }

    /// The credential callback: answers the type libgit2 allows, at most once per kind.
    func acquire(
        _ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>, userFromURL: String?, allowed: UInt32
    ) -> Int32 {
        if checkDeadline() < 0 { return -1 }
        let eauth = GIT_EAUTH.rawValue
        if allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 || allowed & GIT_CREDENTIAL_SSH_MEMORY.rawValue != 0 {
            guard let identity = credentials.identity, !identity.isEmpty else {
                return fail(.authenticationFailed("the SSH server needs a key; set 'identity' in the secret"), code: eauth)
            }
            keyAttempts += 1
            if keyAttempts > 1 {
                return fail(.authenticationFailed("the SSH server rejected the identity key"), code: eauth)
            }
            let user = userFromURL ?? credentials.username ?? "git"
            let passphrase = credentials.password
            if git_credential_ssh_key_memory_new(out, user, nil, identity, passphrase) == 0 { return 0 }
            // libgit2 built without in-memory keys: fall back to a private file in the scratch dir.
            let keyFile = scratch.appendingPathComponent("identity")
            do {
                try identity.write(to: keyFile, atomically: true, encoding: .utf8)
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyFile.path)
            } catch {
                return fail(.storageFailed("cannot write the SSH identity: \(error)"), code: -1)
            }
            return git_credential_ssh_key_new(out, user, nil, keyFile.path, passphrase)
        }
        if allowed & GIT_CREDENTIAL_USERNAME.rawValue != 0 {
            return git_credential_username_new(out, userFromURL ?? credentials.username ?? "git")
        }
        if allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0 {
            // Over HTTP(S) libgit2 asks for a password only after the server answered 401.
            let status = url.scheme.hasPrefix("http") ? "401 Unauthorized: " : ""
            if credentials.bearerToken != nil, credentials.username == nil {
                return fail(.authenticationFailed("\(status)the server rejected the bearer token"), code: eauth)
            }
            guard let username = credentials.username ?? userFromURL, let password = credentials.password else {
                return fail(
                    .authenticationFailed("\(status)the server requires credentials; set 'username' and 'password'"),
                    code: eauth)
            }
            passwordAttempts += 1
            if passwordAttempts > 1 {
                return fail(
                    .authenticationFailed("\(status)the server rejected the username or password"), code: eauth)
            }
            return git_credential_userpass_plaintext_new(out, username, password)
        }
        return fail(.authenticationFailed("the server asked for an unsupported credential type \(allowed)"), code: eauth)
    }

    /// The certificate callback: SSH host keys are always checked against `known_hosts`; TLS is left to libgit2.
    func checkCertificate(_ cert: UnsafeMutablePointer<git_cert>, valid: Int32) -> Int32 {
        if checkDeadline() < 0 { return -1 }
        guard cert.pointee.cert_type == GIT_CERT_HOSTKEY_LIBSSH2 else {
            if valid != 0 { return 0 }
            return fail(
                .tlsVerificationFailed("the certificate of '\(url.host)' is not signed by a trusted CA"),
                code: GIT_ECERTIFICATE.rawValue)
        }
        let host = url.host
        let port = url.effectivePort
        let lookup = KnownHosts.lookupName(host: host, port: port)
        guard let knownHosts else {
            return fail(
                .hostKeyVerificationFailed(host: lookup, detail: "no known_hosts given"), code: GIT_ECERTIFICATE.rawValue)
        }
        let hostkey = UnsafeMutableRawPointer(cert).assumingMemoryBound(to: git_cert_hostkey.self).pointee
        let verdict: KnownHosts.Verdict
        if hostkey.type.rawValue & GIT_CERT_SSH_RAW.rawValue != 0, let raw = hostkey.hostkey {
            let bytes = UnsafeRawBufferPointer(start: raw, count: hostkey.hostkey_len)
            verdict = knownHosts.verify(host: host, port: port, rawKey: Array(bytes))
        } else if hostkey.type.rawValue & GIT_CERT_SSH_SHA256.rawValue != 0 {
            let digest = withUnsafeBytes(of: hostkey.hash_sha256) { Array($0) }
            verdict = knownHosts.verify(host: host, port: port, sha256: digest)
        } else {
            verdict = .mismatch(knownTypes: [])
        }
        switch verdict {
        case .trusted:
            return 0
        case .unknownHost:
            return fail(
                .hostKeyVerificationFailed(host: lookup, detail: "no known_hosts entry for '\(lookup)'"),
                code: GIT_ECERTIFICATE.rawValue)
        case .mismatch(let types):
            return fail(
                .hostKeyVerificationFailed(
                    host: lookup,
                    detail: "the server's key does not match known_hosts (known types: \(types.joined(separator: ", ")))"),
                code: GIT_ECERTIFICATE.rawValue)
        case .revoked:
            return fail(
                .hostKeyVerificationFailed(host: lookup, detail: "the server's key is marked @revoked"),
                code: GIT_ECERTIFICATE.rawValue)
        }
    }

    /// Callbacks wired to this session; the payload must stay retained while libgit2 may call them.
    func callbacks(payload: UnsafeMutableRawPointer) -> git_remote_callbacks {
        // Each connection (listing refs, then fetching) authenticates afresh: the attempt limits guard against
        // libgit2 asking again after a rejection within one connection, not across connections.
        passwordAttempts = 0
        keyAttempts = 0
        var callbacks = git_remote_callbacks()
        git_remote_init_callbacks(&callbacks, UInt32(GIT_REMOTE_CALLBACKS_VERSION))
        callbacks.payload = payload
        callbacks.credentials = { out, _, userFromURL, allowed, payload in
            guard let out, let payload else { return -1 }
            let session = Unmanaged<RemoteSession>.fromOpaque(payload).takeUnretainedValue()
            return session.acquire(out, userFromURL: userFromURL.map { String(cString: $0) }, allowed: allowed)
        }
        callbacks.certificate_check = { cert, valid, _, payload in
            guard let cert, let payload else { return -1 }
            return Unmanaged<RemoteSession>.fromOpaque(payload).takeUnretainedValue()
                .checkCertificate(cert, valid: valid)
        }
        callbacks.transfer_progress = { stats, payload in
            guard let payload else { return 0 }
            let session = Unmanaged<RemoteSession>.fromOpaque(payload).takeUnretainedValue()
            return session.checkReceived(stats?.pointee.received_bytes ?? 0)
        }
        callbacks.sideband_progress = { _, _, payload in
            guard let payload else { return 0 }
            return Unmanaged<RemoteSession>.fromOpaque(payload).takeUnretainedValue().checkDeadline()
        }
        return callbacks
    }

    /// Maps a libgit2 return code to an error, preferring what a callback recorded.
    func error(operation: String, code: Int32) -> GitSourceError {
        if let reason = self.operation.abortReason { return abortError(reason) }
        if let failure { return failure }
        let error = LibGit2Runtime.lastError(operation: operation, code: code)
        if case .authenticationFailed(let detail) = error, url.scheme.hasPrefix("http"), !detail.contains("401") {
            // Over HTTP(S) libgit2 reports GIT_EAUTH only after a 401 answer.
            return .authenticationFailed("401 Unauthorized: \(detail)")
        }
        if case .gitOperationFailed(_, _, let detail) = error, detail.contains("hostkey") {
            return .hostKeyVerificationFailed(host: url.host, detail: detail)
        }
        if case .gitOperationFailed(_, _, let detail) = error, url.scheme == "https", detail.contains("status code: 400") {
            // nginx and others answer 400 to a missing or unknown client certificate.
            let given = credentials.tlsCertificate.map { !$0.isEmpty } ?? false
            return .authenticationFailed(
                given
                    ? "400 Bad Request: the server did not accept the client certificate in 'tls.crt'"
                    : "400 Bad Request: the server may require a client certificate; set 'tls.crt' and 'tls.key'")
        }
        return error
    }
}
