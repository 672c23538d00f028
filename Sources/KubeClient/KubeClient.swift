import AsyncHTTPClient
import Foundation
import KubeCore
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// A Kubernetes API client over AsyncHTTPClient, working on unstructured ``JSONValue`` objects.
///
/// ```swift
/// try await KubeClient.withClient(config: try .automatic(), logger: logger) { client in
///     let deployments = GroupVersionResource(group: "apps", version: "v1", resource: "deployments")
///     let list = try await client.listAll(deployments, namespace: "default")
///     try await client.apply(manifest, fieldManager: "petrel")   // resolves the resource by discovery
/// }
/// ```
/// Verbs take a ``GroupVersionResource`` plus namespace and name (`namespace: nil` for cluster-scoped resources or
/// all namespaces); the object-based variants resolve the resource from `apiVersion`/`kind` through ``discovery``.
/// Every request passes the client-side rate limiter (``KubeConfig/qps``, ``KubeConfig/burst``), has the per-request
/// timeout ``KubeConfig/timeout`` (except watches) and retries 429 responses honouring `Retry-After`.
/// Failures throw ``KubeClientError``. Call ``shutdown()`` when done, or use ``withClient(config:logger:_:)``.
public final class KubeClient: Sendable {
    /// The configuration the client was built with.
    public let config: KubeConfig
    /// Resource discovery with a cache.
    public let discovery: Discovery
    let http: HTTPClient
    let logger: Logger
    let credentials: CredentialProvider
    let limiter: RateLimiter
    /// The identity every request impersonates, if any: ``KubeConfig/impersonation`` or the one given to
    /// ``impersonating(_:)``.
    public let impersonation: ImpersonationConfig?
    /// False for views made by ``impersonating(_:)``: they share the connections and never close them.
    let ownsConnections: Bool
    /// Where requests go: ``KubeConfig/server``, or with ``KubeConfig/TLS/serverName`` set, the same URL with that
    /// name as host (the connection still goes to the server's address through AsyncHTTPClient's DNS override, so
    /// SNI and certificate verification use the name, as `tls-server-name` does for kubectl).
    let baseURL: String

    /// Creates a client; call ``shutdown()`` before releasing it.
    public init(config: KubeConfig, logger: Logger) throws(KubeClientError) {
        impersonation = config.impersonation
        ownsConnections = true
        self.config = config
        self.logger = logger
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: try Self.tlsConfiguration(config.tls),
            timeout: HTTPClient.Configuration.Timeout(connect: .seconds(10), read: nil))
        configuration.redirectConfiguration = .disallow
        configuration.httpVersion = .http1Only
        baseURL = Self.baseURL(config, dnsOverride: &configuration.dnsOverride)
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        credentials = CredentialProvider(authentication: config.authentication)
        limiter = RateLimiter(qps: config.qps, burst: config.burst)
        discovery = Discovery()
    }

    /// A view sharing `parent`'s connections, rate limiter, credentials and discovery cache, impersonating
    /// `impersonation`; see ``impersonating(_:)``.
    init(viewOf parent: KubeClient, impersonation: ImpersonationConfig?) {
        config = parent.config
        logger = parent.logger
        http = parent.http
        credentials = parent.credentials
        limiter = parent.limiter
        discovery = parent.discovery
        baseURL = parent.baseURL
        self.impersonation = impersonation
        ownsConnections = false
    }

    /// Runs `body` with a client and shuts it down afterwards, also when `body` throws.
    public static func withClient<Result: Sendable>(
        config: KubeConfig, logger: Logger, _ body: (KubeClient) async throws -> Result
    ) async throws -> Result {
        let client = try KubeClient(config: config, logger: logger)
        do {
            let result = try await body(client)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// Closes the connections (a view made by ``impersonating(_:)`` closes nothing: its parent owns them).
    public func shutdown() async throws {
        guard ownsConnections else { return }
        try await http.shutdown()
    }

    /// ``KubeConfig/server`` with its host replaced by ``KubeConfig/TLS/serverName`` (adding the DNS override to
    /// the real host), or unchanged.
    static func baseURL(_ config: KubeConfig, dnsOverride: inout [String: String]) -> String {
        guard let serverName = config.tls.serverName, !serverName.isEmpty, !config.tls.insecureSkipVerify,
            var components = URLComponents(string: config.server), components.scheme == "https",
            let host = components.host, host != serverName
        else { return config.server }
        components.host = serverName
        guard let url = components.string else { return config.server }
        dnsOverride[serverName] = host
        return url
    }

    static func tlsConfiguration(_ tls: KubeConfig.TLS) throws(KubeClientError) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        do {
            if let ca = tls.caPEM {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(ca))
            }
            if let certificate = tls.clientCertificatePEM, let key = tls.clientKeyPEM {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMBytes(certificate).map { .certificate($0) }
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: key, format: .pem))
            }
        } catch {
            // NIOSSL errors name the failing operation, never the key material.
            throw .configuration("invalid TLS certificate or key: \(error)")
        }
        if tls.insecureSkipVerify { configuration.certificateVerification = .none }
        return configuration
    }

    // MARK: - Requests

    /// A raw response.
    struct Response: Sendable {
        var code: Int
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    /// Sends one request and returns the parsed JSON body of a 2xx response; maps other responses to errors.
    func requestJSON(
        _ method: HTTPMethod, _ path: String, options: QueryOptions = QueryOptions(), body: JSONValue? = nil,
        contentType: String = "application/json"
    ) async throws(KubeClientError) -> JSONValue {
        let response = try await send(method, path, options: options, body: body.map { JSONSerializer.bytes($0) }, contentType: contentType)
        if response.body.isEmpty { return .null }
        do { return try JSONParser.parse(response.body) } catch { throw .decoding(error.description) }
    }

    /// Sends a request with rate limiting, auth, timeout, 429 retries and one credential refresh after a 401.
    func send(
        _ method: HTTPMethod, _ path: String, options: QueryOptions = QueryOptions(), body: [UInt8]? = nil,
        contentType: String = "application/json"
    ) async throws(KubeClientError) -> Response {
        var attempt = 0
        var refreshedCredentials = false
        while true {
            let request = try await makeRequest(method, path, options: options, body: body, contentType: contentType)
            let response: Response
            do {
                response = try await withRequestTimeout(config.timeout) { [http, logger, config] in
                    let raw = try await http.execute(
                        request, timeout: TimeAmount(kubeDuration: config.timeout), logger: logger)
                    let collected = try await raw.body.collect(upTo: 256 << 20)
                    return Response(code: Int(raw.status.code), headers: raw.headers, body: Array(buffer: collected))
                }
            } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
                throw .timeout(nil)
            } catch is RequestTimedOut {
                throw .timeout(nil)
            } catch let error as KubeClientError {
                throw error
            } catch is CancellationError {
                throw .transport("request cancelled")
            } catch {
                throw .transport(Self.describe(error))
            }
            if (200..<300).contains(response.code) { return response }
            let retryAfter = response.headers.first(name: "Retry-After").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            if response.code == 429, attempt < config.maxRetries {
                attempt += 1
                let delay = min(max(retryAfter ?? 1, 0), 30)
                logger.debug("API server throttled the request; retrying", metadata: ["path": "\(path)", "retryAfter": "\(delay)"])
                do { try await Task.sleep(for: .seconds(delay)) } catch { throw .transport("request cancelled") }
                continue
            }
            if response.code == 401, !refreshedCredentials, await credentials.invalidate() {
                refreshedCredentials = true
                continue
            }
            throw Self.error(code: response.code, body: response.body, retryAfter: retryAfter)
        }
    }

    func makeRequest(
        _ method: HTTPMethod, _ path: String, options: QueryOptions, body: [UInt8]?, contentType: String
    ) async throws(KubeClientError) -> HTTPClientRequest {
        do { try await limiter.acquire() } catch { throw .transport("request cancelled") }
        let query = options.queryString
        var request = HTTPClientRequest(url: baseURL + path + (query.isEmpty ? "" : "?\(query)"))
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "petrel/0.1")
        if let authorization = try await credentials.authorizationHeader() {
            request.headers.add(name: "Authorization", value: authorization)
        }
        if let impersonation { impersonation.addHeaders(to: &request.headers) }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        return request
    }

    static func error(code: Int, body: [UInt8], retryAfter: Int?) -> KubeClientError {
        let status = (try? JSONParser.parse(body)).flatMap { Status(json: $0) }
        return KubeClientError(code: code, status: status, retryAfter: retryAfter)
    }

    /// A description of a transport error; AsyncHTTPClient and NIO errors carry no credentials.
    static func describe(_ error: any Error) -> String {
        String(String(describing: error).prefix(300))
    }

    /// The client's token (if any) removed from a text, for anything that reaches a log.
    func redact(_ text: String) async -> String {
        guard let header = try? await credentials.authorizationHeader(), let token = header.split(separator: " ").last,
            token.count >= 4
        else { return text }
        return text.replacingOccurrences(of: String(token), with: "<redacted>")
    }
}

extension TimeAmount {
    init(kubeDuration duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

/// Thrown by ``withRequestTimeout(_:_:)`` when the deadline passes first.
package struct RequestTimedOut: Error {
    package init() {}
}

/// Runs `operation` with a deadline covering the whole exchange (head and body), cancelling it when time is up.
/// AsyncHTTPClient's own deadline stops at the response head, so a server that stalls mid-body would hang without this.
/// - Throws: ``RequestTimedOut`` when `timeout` passes first; else what `operation` throws.
package func withRequestTimeout<T: Sendable>(
    _ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw RequestTimedOut()
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw RequestTimedOut() }
        return first
    }
}
