import KubeCore

/// One API resource as discovery reports it.
public struct APIResourceInfo: Sendable, Hashable {
    public var group: String
    public var version: String
    /// Plural name used in URLs, e.g. `deployments`.
    public var name: String
    public var kind: String
    public var namespaced: Bool
    public var verbs: [String]

    public init(group: String, version: String, name: String, kind: String, namespaced: Bool, verbs: [String] = []) {
        self.group = group
        self.version = version
        self.name = name
        self.kind = kind
        self.namespaced = namespaced
        self.verbs = verbs
    }

    public var groupVersionResource: GroupVersionResource {
        GroupVersionResource(group: group, version: version, resource: name)
    }
}

/// Resolves kinds to resources through `/api/v1` and `/apis/<group>/<version>`, with a cache per group/version.
///
/// A miss re-reads the group/version once (a CRD may have been installed since) before failing with
/// ``KubeClientError/resourceNotFound(_:)``.
public actor Discovery {
    private var byGroupVersion: [GroupVersion: [APIResourceInfo]] = [:]
    /// How many discovery documents were fetched (for tests and metrics).
    public private(set) var fetches = 0

    public init() {}

    /// The resource of a group/version/kind.
    public func resource(for gvk: GroupVersionKind, client: KubeClient) async throws(KubeClientError) -> APIResourceInfo {
        if let cached = byGroupVersion[gvk.groupVersion]?.first(where: { $0.kind == gvk.kind }) { return cached }
        let resources = try await refresh(gvk.groupVersion, client: client)
        guard let found = resources.first(where: { $0.kind == gvk.kind }) else { throw .resourceNotFound(gvk) }
        return found
    }

    /// The resources of a group/version, from the cache or the server.
    public func resources(in groupVersion: GroupVersion, client: KubeClient) async throws(KubeClientError) -> [APIResourceInfo] {
        if let cached = byGroupVersion[groupVersion] { return cached }
        return try await refresh(groupVersion, client: client)
    }

    /// Every group/version the server serves (`/api` and `/apis`), preferred versions first within a group.
    public func groupVersions(client: KubeClient) async throws(KubeClientError) -> [GroupVersion] {
        var result: [GroupVersion] = []
        let core = try await client.requestJSON(.GET, "/api")
        fetches += 1
        for version in core["versions"]?.arrayValue ?? [] {
            if let version = version.stringValue { result.append(GroupVersion(group: "", version: version)) }
        }
        let groups = try await client.requestJSON(.GET, "/apis")
        fetches += 1
        for group in groups["groups"]?.arrayValue ?? [] {
            guard let name = group["name"]?.stringValue else { continue }
            let preferred = group[path: ["preferredVersion", "version"]]?.stringValue
            var versions = (group["versions"]?.arrayValue ?? []).compactMap { $0["version"]?.stringValue }
            if let preferred, let index = versions.firstIndex(of: preferred) {
                versions.remove(at: index)
                versions.insert(preferred, at: 0)
            }
            result += versions.map { GroupVersion(group: name, version: $0) }
        }
        return result
    }

    /// Drops the cache (e.g. after CRDs changed).
    public func invalidate() {
        byGroupVersion = [:]
    }

    private func refresh(_ groupVersion: GroupVersion, client: KubeClient) async throws(KubeClientError) -> [APIResourceInfo] {
        let path = groupVersion.group.isEmpty ? "/api/\(groupVersion.version)" : "/apis/\(groupVersion.group)/\(groupVersion.version)"
        let document: JSONValue
        do {
            document = try await client.requestJSON(.GET, path)
        } catch .notFound {
            fetches += 1
            byGroupVersion[groupVersion] = []
            return []
        }
        fetches += 1
        let resources = Self.parse(document, groupVersion: groupVersion)
        byGroupVersion[groupVersion] = resources
        return resources
    }

    /// Parses an `APIResourceList`, skipping subresources (`pods/status`).
    static func parse(_ document: JSONValue, groupVersion: GroupVersion) -> [APIResourceInfo] {
        (document["resources"]?.arrayValue ?? []).compactMap { entry in
            guard let name = entry["name"]?.stringValue, !name.contains("/"), let kind = entry["kind"]?.stringValue else {
                return nil
            }
            return APIResourceInfo(
                group: entry["group"]?.stringValue ?? groupVersion.group,
                version: entry["version"]?.stringValue ?? groupVersion.version, name: name, kind: kind,
                namespaced: entry["namespaced"]?.boolValue ?? false,
                verbs: (entry["verbs"]?.arrayValue ?? []).compactMap(\.stringValue))
        }
    }
}
