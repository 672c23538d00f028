/// A `meta.k8s.io/v1` `Status`: what the API server returns when a request fails (and for some deletes).
///
/// Parsed leniently from ``JSONValue``: missing fields become empty strings, zero or empty arrays.
public struct Status: Sendable, Hashable {
    /// One cause of a failure, from `details.causes`.
    public struct Cause: Sendable, Hashable {
        /// Machine-readable cause, e.g. `FieldValueRequired`.
        public var reason: String
        /// Human-readable description.
        public var message: String
        /// The field the cause refers to, e.g. `spec.replicas`.
        public var field: String

        public init(reason: String = "", message: String = "", field: String = "") {
            self.reason = reason
            self.message = message
            self.field = field
        }
    }

    /// `Success` or `Failure`.
    public var status: String
    /// Machine-readable reason, e.g. `NotFound`, `AlreadyExists`, `Conflict`, `Invalid`.
    public var reason: String
    /// Human-readable message.
    public var message: String
    /// The HTTP status code the server meant.
    public var code: Int
    /// `details.name`, `details.group`, `details.kind` of the object concerned.
    public var detailsName: String
    public var detailsGroup: String
    public var detailsKind: String
    /// `details.causes`.
    public var causes: [Cause]
    /// `details.retryAfterSeconds`, if given.
    public var retryAfterSeconds: Int?

    public init(
        status: String = "Failure", reason: String = "", message: String = "", code: Int = 0,
        detailsName: String = "", detailsGroup: String = "", detailsKind: String = "", causes: [Cause] = [],
        retryAfterSeconds: Int? = nil
    ) {
        self.status = status
        self.reason = reason
        self.message = message
        self.code = code
        self.detailsName = detailsName
        self.detailsGroup = detailsGroup
        self.detailsKind = detailsKind
        self.causes = causes
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// Parses a `Status` object; returns `nil` unless `kind` is `Status` (or absent with a `status`/`code` field).
    public init?(json: JSONValue) {
        guard json.objectValue != nil else { return nil }
        if let kind = json["kind"]?.stringValue {
            guard kind == "Status" else { return nil }
        } else if json["code"] == nil && json["status"] == nil {
            return nil
        }
        let details = json["details"]
        let causes = (details?["causes"]?.arrayValue ?? []).map { cause in
            Cause(
                reason: cause["reason"]?.stringValue ?? "", message: cause["message"]?.stringValue ?? "",
                field: cause["field"]?.stringValue ?? "")
        }
        self.init(
            status: json["status"]?.stringValue ?? "", reason: json["reason"]?.stringValue ?? "",
            message: json["message"]?.stringValue ?? "", code: Int(json["code"]?.integerValue ?? 0),
            detailsName: details?["name"]?.stringValue ?? "", detailsGroup: details?["group"]?.stringValue ?? "",
            detailsKind: details?["kind"]?.stringValue ?? "", causes: causes,
            retryAfterSeconds: details?["retryAfterSeconds"]?.integerValue.map { Int($0) })
    }

    /// The JSON form, as a server would send it.
    public var json: JSONValue {
        var object: JSONValue = ["apiVersion": "v1", "kind": "Status", "metadata": [:]]
        object["status"] = .string(status)
        if !message.isEmpty { object["message"] = .string(message) }
        if !reason.isEmpty { object["reason"] = .string(reason) }
        var details = JSONObject()
        if !detailsName.isEmpty { details["name"] = .string(detailsName) }
        if !detailsGroup.isEmpty { details["group"] = .string(detailsGroup) }
        if !detailsKind.isEmpty { details["kind"] = .string(detailsKind) }
        if !causes.isEmpty {
            details["causes"] = .array(
                causes.map { .object(JSONObject([("reason", .string($0.reason)), ("message", .string($0.message)), ("field", .string($0.field))])) })
        }
        if let retryAfterSeconds { details["retryAfterSeconds"] = .integer(Int64(retryAfterSeconds)) }
        if !details.isEmpty { object["details"] = .object(details) }
        object["code"] = .integer(Int64(code))
        return object
    }
}
