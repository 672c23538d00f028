import Foundation
import KubeCore

/// Routes API requests: discovery, then resource operations against the store.
struct APIHandler: Sendable {
    let store: ObjectStore
    let maxBodySize: Int
    let bookmarkInterval: Duration
    /// Nil: no authentication, every request is the local administrator.
    var authenticator: Authenticator? = nil

    func handle(_ request: APIRequest) -> APIResponse {
        do {
            let user = try authenticate(request)
            let effective = try authorize(request, as: user)
            if let review = try accessReview(request, as: effective) { return review }
            if let review = selfSubjectReview(request, as: effective) { return review }
            return try route(request)
        } catch {
            return .error(error)
        }
    }

    private func route(_ request: APIRequest) throws(APIError) -> APIResponse {
        let parts = request.path.split(separator: "/").map(String.init)
        switch parts.first {
        case "version" where parts.count == 1:
            return .object([
                "major": "1", "minor": "32", "gitVersion": "v1.32.0-petrel", "gitCommit": "", "gitTreeState": "clean",
                "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23", "compiler": "gc", "platform": "linux/amd64",
            ])
        case "openapi" where parts.count >= 2 && parts[1] == "v3":
            return try OpenAPI.v3(Array(parts.dropFirst(2)), types: store.allTypes())
        case "healthz", "readyz", "livez":
            return .json(status: 200, body: Array("ok".utf8))
        case "api":
            if parts.count == 1, let version = Self.aggregatedDiscoveryVersion(accept: request.accept) {
                return aggregatedDiscovery(legacy: true, version: version)
            }
            if parts.count == 1 {
                return .object([
                    "kind": "APIVersions", "versions": ["v1"],
                    "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": ""]],
                ])
            }
            if parts.count == 2, parts[1] == "v1" { return discovery(group: "", version: "v1") }
            if parts.count >= 3, parts[1] == "v1" {
                return try resource(request, group: "", version: "v1", rest: Array(parts[2...]))
            }
        case "apis":
            if parts.count == 1, let version = Self.aggregatedDiscoveryVersion(accept: request.accept) {
                return aggregatedDiscovery(legacy: false, version: version)
            }
            if parts.count == 1 { return groupList() }
            if parts.count == 2 {
                guard let group = groups().first(where: { $0["name"]?.stringValue == parts[1] }) else { break }
                var object = group.objectValue ?? JSONObject()
                object["kind"] = "APIGroup"
                object["apiVersion"] = "v1"
                return .object(.object(object))
            }
            if parts.count == 3 { return discovery(group: parts[1], version: parts[2]) }
            return try resource(request, group: parts[1], version: parts[2], rest: Array(parts[3...]))
        default:
            break
        }
        throw .notFoundPath(request.path)
    }

    // MARK: Discovery

    private func groups() -> [JSONValue] {
        var versionsByGroup: [String: Set<String>] = [:]
        for type in store.allTypes() where !type.group.isEmpty {
            versionsByGroup[type.group, default: []].insert(type.version)
        }
        return versionsByGroup.keys.sorted().map { group in
            let versions = (versionsByGroup[group] ?? []).sorted(by: Self.versionPrecedes)
            let entries: [JSONValue] = versions.map {
                ["groupVersion": .string("\(group)/\($0)"), "version": .string($0)]
            }
            return ["name": .string(group), "versions": .array(entries), "preferredVersion": entries.first ?? .null]
        }
    }

    /// Orders Kubernetes versions: GA before beta before alpha, higher numbers first.
    static func versionPrecedes(_ lhs: String, _ rhs: String) -> Bool {
        func rank(_ version: String) -> (Int, Int, Int) {
            let scanner = version.dropFirst()
            let major = Int(scanner.prefix { $0.isNumber }) ?? 0
            let rest = scanner.drop { $0.isNumber }
            if rest.isEmpty { return (3, major, 0) }
            let minor = Int(rest.drop { !$0.isNumber }) ?? 0
            return (rest.hasPrefix("beta") ? 2 : rest.hasPrefix("alpha") ? 1 : 0, major, minor)
        }
        let (a, b) = (rank(lhs), rank(rhs))
        return a.0 != b.0 ? a.0 > b.0 : a.1 != b.1 ? a.1 > b.1 : a.2 != b.2 ? a.2 > b.2 : lhs < rhs
    }

    private func groupList() -> APIResponse {
        .object(["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups())])
    }

    private func discovery(group: String, version: String) -> APIResponse {
        let types = store.allTypes().filter { $0.group == group && $0.version == version }.sorted {
            $0.plural < $1.plural
        }
        guard !types.isEmpty else {
            return .error(.notFoundPath(group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"))
        }
        return .object([
            "kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": .string(group.isEmpty ? version : "\(group)/\(version)"),
            "resources": .array(types.flatMap(\.discoveryEntries)),
        ])
    }

    // MARK: Resource paths

    /// A parsed resource path.
    struct Target {
        var type: ResourceType
        var namespace: String?
        var name: String?
        var subresource: String?
        var watchPath: Bool
    }

    private func parseTarget(group: String, version: String, rest: [String]) throws(APIError) -> Target {
        var parts = rest
        var watchPath = false
        if parts.first == "watch" {
            watchPath = true
            parts.removeFirst()
        }
        var namespace: String?
        if parts.count >= 3, parts[0] == "namespaces",
            !(group.isEmpty && parts.count == 3 && ["status", "finalize"].contains(parts[2]))
        {
            namespace = parts[1]
            parts.removeFirst(2)
        }
        guard let plural = parts.first, parts.count <= 3 else {
            throw .notFoundPath("/" + rest.joined(separator: "/"))
        }
        guard let type = store.type(group: group, version: version, plural: plural) else {
            throw APIError(
                code: 404, reason: "NotFound", message: "the server could not find the requested resource",
                group: group, kind: plural)
        }
        if namespace != nil, !type.namespaced { throw .notFoundPath("/" + rest.joined(separator: "/")) }
        let subresource = parts.count == 3 ? parts[2] : nil
        if let subresource, subresource != "status" || !type.hasStatus {
            throw .notFoundPath("/" + rest.joined(separator: "/"))
        }
        return Target(
            type: type, namespace: namespace, name: parts.count >= 2 ? parts[1] : nil, subresource: subresource,
            watchPath: watchPath)
    }

    private func resource(_ request: APIRequest, group: String, version: String, rest: [String]) throws(APIError)
        -> APIResponse
    {
        let target = try parseTarget(group: group, version: version, rest: rest)
        if request.body.count > maxBodySize {
            throw APIError(
                code: 413, reason: "RequestEntityTooLarge",
                message: "the request body is too large: limit is \(maxBodySize) bytes")
        }
        switch (request.method, target.name) {
        case ("GET", nil):
            if target.watchPath || request.flag("watch") { return try watch(request, target) }
            return try list(request, target)
        case ("GET", let name?):
            if target.watchPath {
                var named = request
                named.query["fieldSelector"] = "metadata.name=\(name)"
                var whole = target
                whole.name = nil
                return try watch(named, whole)
            }
            let object = try store.get(target.type, namespace: target.namespace, name: name)
            if request.wantsTable {
                return .object(
                    Table.table(
                        [object.value], type: target.type, resourceVersion: String(object.resourceVersion),
                        continueToken: nil))
            }
            return .json(status: 200, body: object.bytes)
        case ("POST", nil):
            return try create(request, target)
        case ("PUT", let name?):
            return try replace(request, target, name: name)
        case ("PATCH", let name?):
            return try patch(request, target, name: name)
        case ("DELETE", let name?):
            return try delete(request, target, name: name)
        case ("DELETE", nil):
            return try deleteCollection(request, target)
        default:
            throw .methodNotAllowed("the server does not allow this method on the requested resource")
        }
    }
}
