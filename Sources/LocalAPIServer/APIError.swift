import KubeCore

/// A failed API request, carried as data and written to the client as a `meta/v1` `Status` body.
struct APIError: Error, Sendable {
    /// One field-level cause of an `Invalid` error.
    struct Cause: Sendable {
        var reason: String
        var message: String
        var field: String
    }

    var code: Int
    var reason: String
    var message: String
    var name: String?
    var group: String?
    var kind: String?
    var causes: [Cause] = []
    var retryAfterSeconds: Int?

    /// The `Status` object clients decode.
    var status: JSONValue {
        var details = JSONObject()
        if let name { details["name"] = .string(name) }
        if let group { details["group"] = .string(group) }
        if let kind { details["kind"] = .string(kind) }
        if !causes.isEmpty {
            details["causes"] = .array(
                causes.map {
                    ["reason": .string($0.reason), "message": .string($0.message), "field": .string($0.field)]
                })
        }
        let base: JSONValue = [
            "kind": "Status", "apiVersion": "v1", "metadata": .object(JSONObject()), "status": "Failure",
            "message": .string(message), "reason": .string(reason),
        ]
        var object = base.objectValue ?? JSONObject()
        if !details.isEmpty { object["details"] = .object(details) }
        object["code"] = .integer(Int64(code))
        return .object(object)
    }

    static func badRequest(_ message: String) -> APIError {
        APIError(code: 400, reason: "BadRequest", message: message)
    }

    static func notFound(_ type: ResourceType, _ name: String) -> APIError {
        APIError(
            code: 404, reason: "NotFound", message: "\(type.qualifiedPlural) \"\(name)\" not found", name: name,
            group: type.group, kind: type.plural)
    }

    static func notFoundPath(_ path: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource (\(path))")
    }

    static func alreadyExists(_ type: ResourceType, _ name: String) -> APIError {
        APIError(
            code: 409, reason: "AlreadyExists", message: "\(type.qualifiedPlural) \"\(name)\" already exists",
            name: name, group: type.group, kind: type.plural)
    }

    static func conflict(_ type: ResourceType, _ name: String) -> APIError {
        APIError(
            code: 409, reason: "Conflict",
            message: "Operation cannot be fulfilled on \(type.qualifiedPlural) \"\(name)\": the object has been "
                + "modified; please apply your changes to the latest version and try again",
            name: name, group: type.group, kind: type.plural)
    }

    static func invalid(_ type: ResourceType, _ name: String, _ causes: [Cause]) -> APIError {
        let summary = causes.map { "\($0.field): \($0.message)" }.joined(separator: ", ")
        let list = causes.count > 1 ? "[\(summary)]" : summary
        return APIError(
            code: 422, reason: "Invalid", message: "\(type.qualifiedKind) \"\(name)\" is invalid: \(list)",
            name: name, group: type.group, kind: type.kind, causes: causes)
    }

    static func methodNotAllowed(_ message: String) -> APIError {
        APIError(code: 405, reason: "MethodNotAllowed", message: message)
    }

    static func gone(_ message: String) -> APIError {
        APIError(code: 410, reason: "Expired", message: message)
    }

    /// Missing or wrong credentials: kube-apiserver's bare `Unauthorized` Status.
    static let unauthorized = APIError(code: 401, reason: "Unauthorized", message: "Unauthorized")
}

/// Errors from starting or configuring the local API server.
public enum LocalAPIServerError: Error, Sendable {
    /// The server stopped before it reported the port it listens on.
    case notListening
    /// The kubeconfig file could not be written.
    case kubeconfigWriteFailed(path: String, underlying: String)
    /// The data directory's state file could not be read or parsed.
    case dataDirectoryUnreadable(path: String, underlying: String)
    /// The TLS material could not be generated or loaded.
    case tlsSetupFailed(String)
    /// A line of the token file is not `token,user,uid[,"groups"]`.
    case tokenFileInvalid(line: Int, message: String)

    /// A bounded CamelCase reason, usable as a metric label.
    public var reason: String {
        switch self {
        case .notListening: return "NotListening"
        case .kubeconfigWriteFailed: return "KubeconfigWriteFailed"
        case .dataDirectoryUnreadable: return "DataDirectoryUnreadable"
        case .tlsSetupFailed: return "TLSSetupFailed"
        case .tokenFileInvalid: return "TokenFileInvalid"
        }
    }

    /// What went wrong and what to do about it.
    public var message: String {
        switch self {
        case .notListening:
            return "the local API server stopped before listening; check that the host and port are free"
        case .kubeconfigWriteFailed(let path, let underlying):
            return
                "failed to write kubeconfig to \(path): \(underlying); check that the directory exists and is writable"
        case .dataDirectoryUnreadable(let path, let underlying):
            return "failed to read the API server state from \(path): \(underlying); fix or remove the file"
        case .tlsSetupFailed(let detail):
            return "TLS set-up failed: \(detail); check the PEM files given with --tls-cert-file, "
                + "--tls-private-key-file and --client-ca-file"
        case .tokenFileInvalid(let line, let message):
            return "token file line \(line): \(message); each line must be token,user,uid[,\"group1,group2\"]"
        }
    }
}
