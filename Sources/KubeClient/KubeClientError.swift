import KubeCore

/// Every error the Kubernetes client throws.
///
/// Server-side failures keep the server's ``Status`` as data. ``reason`` is bounded (usable as a metric label or
/// condition reason) and ``message`` is readable; neither ever contains a bearer token, client key or request body.
public enum KubeClientError: Error, Sendable, CustomStringConvertible {
    /// 404.
    case notFound(Status)
    /// 409 with reason `Conflict` (stale resourceVersion, apply conflict).
    case conflict(Status)
    /// 409 with reason `AlreadyExists`.
    case alreadyExists(Status)
    /// 422: the object is invalid; ``causes`` lists the fields.
    case invalid(Status)
    /// 410: the resource version is too old (relist).
    case gone(Status)
    /// 429 after the client's retries ran out; `retryAfter` is the server's hint in seconds.
    case tooManyRequests(Status, retryAfter: Int?)
    /// 403.
    case forbidden(Status)
    /// 401.
    case unauthorized(Status)
    /// 400 or 415 and other client errors not listed above.
    case badRequest(Status)
    /// 504 from the server, or the client's per-request timeout.
    case timeout(Status?)
    /// 5xx (other than 504) or an unexpected status code.
    case server(code: Int, Status)
    /// The request did not complete (connection refused, TLS failure, ...).
    case transport(String)
    /// The response could not be decoded.
    case decoding(String)
    /// The client configuration (kubeconfig, in-cluster files) is missing or invalid.
    case configuration(String)
    /// The exec credential plugin failed.
    case credentialPlugin(String)
    /// Discovery found no resource for a group/version/kind.
    case resourceNotFound(GroupVersionKind)

    /// Maps an HTTP status code and the server's `Status` (if the body was one) to an error.
    public init(code: Int, status: Status?, retryAfter: Int? = nil) {
        let status = status ?? Status(reason: "", message: "the server returned HTTP \(code)", code: code)
        switch code {
        case 400, 415: self = .badRequest(status)
        case 401: self = .unauthorized(status)
        case 403: self = .forbidden(status)
        case 404: self = .notFound(status)
        case 409: self = status.reason == "AlreadyExists" ? .alreadyExists(status) : .conflict(status)
        case 410: self = .gone(status)
        case 422: self = .invalid(status)
        case 429: self = .tooManyRequests(status, retryAfter: retryAfter ?? status.retryAfterSeconds)
        case 504: self = .timeout(status)
        case 408: self = .timeout(status)
        default:
            if (400..<500).contains(code) && status.reason == "Invalid" { self = .invalid(status) }
            else if (400..<500).contains(code) { self = .badRequest(status) }
            else { self = .server(code: code, status) }
        }
    }

    /// The server's status, for server-side failures.
    public var status: Status? {
        switch self {
        case .notFound(let s), .conflict(let s), .alreadyExists(let s), .invalid(let s), .gone(let s),
            .tooManyRequests(let s, _), .forbidden(let s), .unauthorized(let s), .badRequest(let s), .server(_, let s):
            s
        case .timeout(let s): s
        default: nil
        }
    }

    /// `details.causes` of an `invalid` (or other) server error.
    public var causes: [Status.Cause] { status?.causes ?? [] }

    /// Bounded CamelCase reason.
    public var reason: String {
        switch self {
        case .notFound: "NotFound"
        case .conflict: "Conflict"
        case .alreadyExists: "AlreadyExists"
        case .invalid: "Invalid"
        case .gone: "Gone"
        case .tooManyRequests: "TooManyRequests"
        case .forbidden: "Forbidden"
        case .unauthorized: "Unauthorized"
        case .badRequest: "BadRequest"
        case .timeout: "Timeout"
        case .server: "ServerError"
        case .transport: "TransportError"
        case .decoding: "DecodingError"
        case .configuration: "ConfigurationError"
        case .credentialPlugin: "CredentialPluginError"
        case .resourceNotFound: "ResourceNotFound"
        }
    }

    /// A readable message: the server's message where there is one.
    public var message: String {
        switch self {
        case .transport(let detail): "failed to reach the API server: \(detail)"
        case .decoding(let detail): "failed to decode the API server's response: \(detail)"
        case .configuration(let detail): "invalid client configuration: \(detail)"
        case .credentialPlugin(let detail): "exec credential plugin failed: \(detail)"
        case .resourceNotFound(let gvk): "the server has no resource for \(gvk); is the CRD installed?"
        case .timeout(nil): "the request timed out"
        case .tooManyRequests(let status, let retryAfter):
            "\(status.message.isEmpty ? "too many requests" : status.message) (retry after \(retryAfter.map(String.init) ?? "?")s)"
        default:
            if let status, !status.message.isEmpty { status.message }
            else { "the API server returned HTTP \(status?.code ?? 0)" }
        }
    }

    public var description: String { "\(reason): \(message)" }

    /// Whether this is a 404.
    public var isNotFound: Bool { if case .notFound = self { true } else { false } }
    /// Whether this is a 409 Conflict.
    public var isConflict: Bool { if case .conflict = self { true } else { false } }
    /// Whether this is a 409 AlreadyExists.
    public var isAlreadyExists: Bool { if case .alreadyExists = self { true } else { false } }
    /// Whether this is a 410 Gone.
    public var isGone: Bool { if case .gone = self { true } else { false } }
}
