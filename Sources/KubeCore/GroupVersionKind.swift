/// An API group and version, e.g. `apps/v1` or the core group's `v1`.
public struct GroupVersion: Sendable, Hashable, CustomStringConvertible {
    /// The API group; empty for the core group.
    public var group: String
    /// The version, e.g. `v1`.
    public var version: String

    public init(group: String, version: String) {
        self.group = group
        self.version = version
    }

    /// Parses an `apiVersion` string: `v1` is the core group, `apps/v1` is group `apps`.
    public init(apiVersion: String) {
        if let slash = apiVersion.firstIndex(of: "/") {
            group = String(apiVersion[..<slash])
            version = String(apiVersion[apiVersion.index(after: slash)...])
        } else {
            group = ""
            version = apiVersion
        }
    }

    /// The `apiVersion` form: `v1` or `group/version`.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    public var description: String { apiVersion }
}

/// A group, version and kind: what `apiVersion` and `kind` of a manifest name.
public struct GroupVersionKind: Sendable, Hashable, CustomStringConvertible {
    public var group: String
    public var version: String
    public var kind: String

    public init(group: String, version: String, kind: String) {
        self.group = group
        self.version = version
        self.kind = kind
    }

    public init(apiVersion: String, kind: String) {
        let groupVersion = GroupVersion(apiVersion: apiVersion)
        self.init(group: groupVersion.group, version: groupVersion.version, kind: kind)
    }

    public var groupVersion: GroupVersion { GroupVersion(group: group, version: version) }
    public var apiVersion: String { groupVersion.apiVersion }
    public var description: String { "\(apiVersion), Kind=\(kind)" }
}

/// A group, version and resource (the plural name in URLs), e.g. `apps/v1, Resource=deployments`.
public struct GroupVersionResource: Sendable, Hashable, CustomStringConvertible {
    public var group: String
    public var version: String
    public var resource: String

    public init(group: String, version: String, resource: String) {
        self.group = group
        self.version = version
        self.resource = resource
    }

    public var groupVersion: GroupVersion { GroupVersion(group: group, version: version) }
    public var description: String { "\(groupVersion.apiVersion), Resource=\(resource)" }
}
