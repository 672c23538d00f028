import Foundation
import KubeCore

/// A resolved client configuration: where the API server is, how to trust it and how to authenticate.
///
/// Build one with ``load(paths:context:environment:)`` (kubeconfig files, as kubectl reads them),
/// ``inCluster(environment:serviceAccountDirectory:)`` (a pod's service account) or ``automatic(context:environment:)``.
/// Credentials are kept as data (PEM bytes, tokens) and never appear in `description`.
public struct KubeConfig: Sendable, CustomStringConvertible {
    /// TLS settings.
    public struct TLS: Sendable {
        /// PEM bundle of the CA that signed the server's certificate; `nil` uses the system roots.
        public var caPEM: [UInt8]?
        /// PEM client certificate (chain).
        public var clientCertificatePEM: [UInt8]?
        /// PEM client private key.
        public var clientKeyPEM: [UInt8]?
        /// Skip verification of the server's certificate (`insecure-skip-tls-verify`).
        public var insecureSkipVerify: Bool
        /// Server name to verify instead of the URL's host (`tls-server-name`).
        public var serverName: String?

        public init(
            caPEM: [UInt8]? = nil, clientCertificatePEM: [UInt8]? = nil, clientKeyPEM: [UInt8]? = nil,
            insecureSkipVerify: Bool = false, serverName: String? = nil
        ) {
            self.caPEM = caPEM
            self.clientCertificatePEM = clientCertificatePEM
            self.clientKeyPEM = clientKeyPEM
            self.insecureSkipVerify = insecureSkipVerify
            self.serverName = serverName
        }
    }

    /// How requests authenticate.
    public enum Authentication: Sendable, CustomStringConvertible {
        /// No credentials beyond a client certificate, if any.
        case none
        /// A fixed bearer token.
        case bearerToken(String)
        /// A token read from a file and re-read every `refreshInterval` (service account tokens rotate).
        case tokenFile(path: String, refreshInterval: Duration)
        /// HTTP basic authentication.
        case basic(username: String, password: String)
        /// A `client.authentication.k8s.io` exec credential plugin.
        case exec(ExecConfig)

        public var description: String {
            switch self {
            case .none: "none"
            case .bearerToken: "bearerToken(<redacted>)"
            case .tokenFile(let path, _): "tokenFile(\(path))"
            case .basic(let username, _): "basic(\(username), <redacted>)"
            case .exec(let exec): "exec(\(exec.command))"
            }
        }
    }

    /// An exec credential plugin (`users[].user.exec`).
    public struct ExecConfig: Sendable, Hashable {
        public var command: String
        public var args: [String]
        /// Extra environment variables, added to the inherited environment.
        public var env: [String: String]
        /// `client.authentication.k8s.io/v1` or `v1beta1`.
        public var apiVersion: String
        /// Shown when the command cannot be run.
        public var installHint: String?

        public init(command: String, args: [String] = [], env: [String: String] = [:],
                    apiVersion: String = "client.authentication.k8s.io/v1", installHint: String? = nil) {
            self.command = command
            self.args = args
            self.env = env
            self.apiVersion = apiVersion
            self.installHint = installHint
        }
    }

    /// Base URL of the API server, e.g. `https://127.0.0.1:6443`, without a trailing slash.
    public var server: String
    /// The namespace of the context (or the pod), `default` if none is set.
    public var namespace: String
    public var tls: TLS
    public var authentication: Authentication
    /// Client-side rate limit: sustained queries per second. Default 50.
    public var qps: Double
    /// Client-side rate limit: burst size. Default 100.
    public var burst: Int
    /// Per-request timeout, head and body; for a watch, the wait for its response head (the stream itself is bounded
    /// by `timeoutSeconds` and ``watchIdleTimeout``). Default 30 s.
    public var timeout: Duration
    /// How long a watch may stay silent (no event, no bookmark, no byte) before it is treated as dead and closed,
    /// so that a half-open connection (the server gone without FIN or RST: node loss, failover, a dropped NAT
    /// entry) is noticed and the watch restarted. Keep it above the server's bookmark cadence (the API server
    /// sends a bookmark about once a minute to watches that ask for them). Default 150 s.
    public var watchIdleTimeout: Duration = .seconds(150)
    /// How many times a 429 Too Many Requests is retried, honouring `Retry-After`. Default 3.
    public var maxRetries: Int
    /// The name of the kubeconfig context used, if any.
    public var contextName: String?
    /// Whom every request impersonates (kubeconfig user fields `as` and `as-groups`). Default nil.
    public var impersonation: ImpersonationConfig?

    public init(
        server: String, namespace: String = "default", tls: TLS = TLS(), authentication: Authentication = .none,
        qps: Double = 50, burst: Int = 100, timeout: Duration = .seconds(30), maxRetries: Int = 3,
        contextName: String? = nil
    ) {
        var server = server
        while server.hasSuffix("/") { server.removeLast() }
        self.server = server
        self.namespace = namespace
        self.tls = tls
        self.authentication = authentication
        self.qps = qps
        self.burst = burst
        self.timeout = timeout
        self.maxRetries = maxRetries
        self.contextName = contextName
    }

    public var description: String {
        "KubeConfig(server: \(server), namespace: \(namespace), context: \(contextName ?? "-"), auth: \(authentication), "
            + "ca: \(tls.caPEM != nil), clientCert: \(tls.clientCertificatePEM != nil), insecure: \(tls.insecureSkipVerify))"
    }

    /// KUBECONFIG or `~/.kube/config` if either exists, otherwise the in-cluster configuration.
    public static func automatic(context: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(KubeClientError) -> KubeConfig
    {
        let paths = kubeconfigPaths(environment: environment)
        if paths.contains(where: { FileManager.default.fileExists(atPath: $0) }) {
            return try load(paths: paths, context: context, environment: environment)
        }
        return try inCluster(environment: environment)
    }

    /// The kubeconfig files kubectl would read: the `KUBECONFIG` list (`:`-separated) or `~/.kube/config`.
    public static func kubeconfigPaths(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            return list.split(separator: ":").map(String.init).filter { !$0.isEmpty }
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return ["\(home)/.kube/config"]
    }
}
