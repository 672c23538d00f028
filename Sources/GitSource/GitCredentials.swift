/// Authentication for a Git remote, mirroring the data keys of a Flux GitRepository secret.
///
/// HTTP(S): `username` + `password`, or `bearerToken`; `caCertificate` (`ca.crt`) is appended to the system bundle.
/// SSH: `identity` (private key, PEM or OpenSSH format) with optional `password` (its passphrase) and `knownHosts`,
/// which is required: the host key is always verified against it. `tls.crt`/`tls.key` (mutual TLS, HTTPS only,
/// PEM, key unencrypted) are presented through Petrel's OpenSSL TLS stream.
public struct GitCredentials: Sendable, Equatable {
    /// `username`.
    public var username: String?
    /// `password`: the HTTP password or token, or the SSH key's passphrase.
    public var password: String?
    /// `bearerToken`: sent as `Authorization: Bearer <token>`.
    public var bearerToken: String?
    /// `identity`: the SSH private key.
    public var identity: String?
    /// `known_hosts`: OpenSSH known_hosts lines (plain or hashed host names).
    public var knownHosts: String?
    /// `ca.crt` (or the legacy `caFile`): PEM certificates to trust in addition to the system bundle.
    public var caCertificate: String?
    /// `tls.crt`: client certificate (PEM, optionally followed by its chain).
    public var tlsCertificate: String?
    /// `tls.key`: the client certificate's private key (PEM, unencrypted).
    public var tlsKey: String?

    /// Creates credentials; every field defaults to absent.
    public init(
        username: String? = nil, password: String? = nil, bearerToken: String? = nil, identity: String? = nil,
        knownHosts: String? = nil, caCertificate: String? = nil, tlsCertificate: String? = nil, tlsKey: String? = nil
    ) {
        self.username = username
        self.password = password
        self.bearerToken = bearerToken
        self.identity = identity
        self.knownHosts = knownHosts
        self.caCertificate = caCertificate
        self.tlsCertificate = tlsCertificate
        self.tlsKey = tlsKey
    }

    /// Builds credentials from secret data using Flux's key names (`ca.crt` wins over `caFile`).
    public init(secretData: [String: String]) {
        self.init(
            username: secretData["username"], password: secretData["password"],
            bearerToken: secretData["bearerToken"], identity: secretData["identity"],
            knownHosts: secretData["known_hosts"], caCertificate: secretData["ca.crt"] ?? secretData["caFile"],
            tlsCertificate: secretData["tls.crt"], tlsKey: secretData["tls.key"])
    }

    /// Whether an HTTP(S) remote would receive a secret from these credentials (a password or a bearer token).
    public var hasHTTPSecrets: Bool {
        [password, bearerToken].contains { $0.map { !$0.isEmpty } ?? false }
    }

    /// The credentials a submodule at `url` may receive from a parent at `parent`: all of them for the parent's
    /// scheme, host and port unless that is plain `http://`, otherwise only what is not secret (the CA and
    /// `known_hosts`), so a committer cannot send the parent's token to a host of their choosing.
    func scoped(from parent: GitURL, to url: GitURL) -> GitCredentials {
        if url.sameOrigin(as: parent), url.scheme != "http" { return self }
        return GitCredentials(knownHosts: knownHosts, caCertificate: caCertificate)
    }
}
