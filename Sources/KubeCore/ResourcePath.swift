/// The URL path of a Kubernetes API request: `/api/v1/namespaces/ns/pods/name/status` or
/// `/apis/apps/v1/deployments`.
public struct ResourcePath: Sendable, Hashable, CustomStringConvertible {
    /// Group, version and plural resource name.
    public var resource: GroupVersionResource
    /// The namespace; `nil` for cluster-scoped resources or for listing across all namespaces.
    public var namespace: String?
    /// The object name; `nil` for collection requests (list, create, watch).
    public var name: String?
    /// A subresource such as `status` or `scale`; needs a name.
    public var subresource: String?

    public init(resource: GroupVersionResource, namespace: String? = nil, name: String? = nil, subresource: String? = nil) {
        self.resource = resource
        self.namespace = namespace
        self.name = name
        self.subresource = subresource
    }

    /// The path, with each segment percent-encoded.
    public var path: String {
        var segments: [String] = resource.group.isEmpty ? ["api", resource.version] : ["apis", resource.group, resource.version]
        if let namespace, !namespace.isEmpty { segments += ["namespaces", namespace] }
        segments.append(resource.resource)
        if let name, !name.isEmpty {
            segments.append(name)
            if let subresource, !subresource.isEmpty { segments.append(subresource) }
        }
        return "/" + segments.map(QueryOptions.percentEncode).joined(separator: "/")
    }

    public var description: String { path }
}

/// Query parameters of a request. Unset options are not sent; the server applies its defaults.
public struct QueryOptions: Sendable, Hashable {
    /// Propagation policy of a delete.
    public enum PropagationPolicy: String, Sendable, Hashable {
        case orphan = "Orphan"
        case background = "Background"
        case foreground = "Foreground"
    }

    public var labelSelector: String?
    public var fieldSelector: String?
    /// Page size of a list.
    public var limit: Int?
    /// Continue token from the previous page.
    public var continueToken: String?
    public var resourceVersion: String?
    /// `resourceVersionMatch` (`Exact`, `NotOlderThan`).
    public var resourceVersionMatch: String?
    public var watch: Bool?
    public var allowWatchBookmarks: Bool?
    /// Server-side timeout of a list or watch, in seconds.
    public var timeoutSeconds: Int?
    /// `true` sends `dryRun=All`.
    public var dryRun: Bool?
    public var fieldManager: String?
    /// Force conflicts of a server-side apply.
    public var force: Bool?
    public var propagationPolicy: PropagationPolicy?
    /// `fieldValidation` (`Ignore`, `Warn`, `Strict`).
    public var fieldValidation: String?

    public init(
        labelSelector: String? = nil, fieldSelector: String? = nil, limit: Int? = nil, continueToken: String? = nil,
        resourceVersion: String? = nil, resourceVersionMatch: String? = nil, watch: Bool? = nil,
        allowWatchBookmarks: Bool? = nil, timeoutSeconds: Int? = nil, dryRun: Bool? = nil, fieldManager: String? = nil,
        force: Bool? = nil, propagationPolicy: PropagationPolicy? = nil, fieldValidation: String? = nil
    ) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
        self.resourceVersion = resourceVersion
        self.resourceVersionMatch = resourceVersionMatch
        self.watch = watch
        self.allowWatchBookmarks = allowWatchBookmarks
        self.timeoutSeconds = timeoutSeconds
        self.dryRun = dryRun
        self.fieldManager = fieldManager
        self.force = force
        self.propagationPolicy = propagationPolicy
        self.fieldValidation = fieldValidation
    }

    /// The name/value pairs, in a fixed order.
    public var items: [(name: String, value: String)] {
        var items: [(String, String)] = []
        if let labelSelector, !labelSelector.isEmpty { items.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { items.append(("fieldSelector", fieldSelector)) }
        if let limit { items.append(("limit", String(limit))) }
        if let continueToken, !continueToken.isEmpty { items.append(("continue", continueToken)) }
        if let resourceVersion { items.append(("resourceVersion", resourceVersion)) }
        if let resourceVersionMatch { items.append(("resourceVersionMatch", resourceVersionMatch)) }
        if let watch { items.append(("watch", String(watch))) }
        if let allowWatchBookmarks { items.append(("allowWatchBookmarks", String(allowWatchBookmarks))) }
        if let timeoutSeconds { items.append(("timeoutSeconds", String(timeoutSeconds))) }
        if dryRun == true { items.append(("dryRun", "All")) }
        if let fieldManager, !fieldManager.isEmpty { items.append(("fieldManager", fieldManager)) }
        if let force { items.append(("force", String(force))) }
        if let propagationPolicy { items.append(("propagationPolicy", propagationPolicy.rawValue)) }
        if let fieldValidation { items.append(("fieldValidation", fieldValidation)) }
        return items.map { (name: $0.0, value: $0.1) }
    }

    /// The query string without the leading `?`; empty when no option is set.
    public var queryString: String {
        items.map { "\($0.name)=\(Self.percentEncode($0.value))" }.joined(separator: "&")
    }

    /// Percent-encodes everything except RFC 3986 unreserved characters.
    public static func percentEncode(_ text: String) -> String {
        var output = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                output.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF")
                output.append("%")
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0xF)])
            }
        }
        return output
    }
}

extension ResourcePath {
    /// The path plus `?query` when options are set.
    public func url(options: QueryOptions = QueryOptions()) -> String {
        let query = options.queryString
        return query.isEmpty ? path : "\(path)?\(query)"
    }
}
