import Foundation
import KubeCore

/// Aggregated discovery (`apidiscovery.k8s.io` `APIGroupDiscoveryList`): every group, version and resource in one
/// answer to `/api` or `/apis`, which kubectl ≥ 1.30 asks for before falling back to one request per group version.
extension APIHandler {
    /// The aggregated discovery versions this server speaks, most preferred first.
    static let aggregatedDiscoveryVersions = ["v2", "v2beta1"]

    /// The `apidiscovery.k8s.io` version the request's `Accept` header asks for first, if any.
    static func aggregatedDiscoveryVersion(accept: String) -> String? {
        for range in accept.split(separator: ",") {
            let parts = range.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let type = parts.first, type == "application/json" || type == "*/*" || type == "application/*"
            else { continue }
            var parameters: [String: String] = [:]
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map(String.init)
                if pair.count == 2 { parameters[pair[0].lowercased()] = pair[1] }
            }
            guard parameters["g"] == "apidiscovery.k8s.io", parameters["as"] == "APIGroupDiscoveryList",
                let version = parameters["v"], aggregatedDiscoveryVersions.contains(version)
            else { continue }
            return version
        }
        return nil
    }

    /// The `APIGroupDiscoveryList` for `/api` (`legacy`: the core group only) or `/apis` (every named group).
    func aggregatedDiscovery(legacy: Bool, version discoveryVersion: String) -> APIResponse {
        var typesByGroup: [String: [String: [ResourceType]]] = [:]
        for type in store.allTypes() where type.group.isEmpty == legacy {
            typesByGroup[type.group, default: [:]][type.version, default: []].append(type)
        }
        let items: [JSONValue] = typesByGroup.keys.sorted().map { group in
            let versions = typesByGroup[group] ?? [:]
            let entries: [JSONValue] = versions.keys.sorted(by: Self.versionPrecedes).map { version in
                let resources = (versions[version] ?? []).sorted { $0.plural < $1.plural }
                return [
                    "version": .string(version), "resources": .array(resources.map(Self.resourceDiscovery)),
                    "freshness": "Current",
                ]
            }
            var metadata = JSONObject()
            if !group.isEmpty { metadata["name"] = .string(group) }
            metadata["creationTimestamp"] = .null
            return ["metadata": .object(metadata), "versions": .array(entries)]
        }
        let list: JSONValue = [
            "kind": "APIGroupDiscoveryList", "apiVersion": .string("apidiscovery.k8s.io/\(discoveryVersion)"),
            "metadata": .object(JSONObject()), "items": .array(items),
        ]
        return .typed(
            status: 200,
            contentType: "application/json;g=apidiscovery.k8s.io;v=\(discoveryVersion);as=APIGroupDiscoveryList",
            body: JSONSerializer.bytes(list))
    }

    /// One `APIResourceDiscovery`: the resource, its kind, scope, verbs, names and status subresource.
    static func resourceDiscovery(_ type: ResourceType) -> JSONValue {
        let kind: JSONValue = [
            "group": .string(type.group), "version": .string(type.version), "kind": .string(type.kind),
        ]
        var object = JSONObject()
        object["resource"] = .string(type.plural)
        object["responseKind"] = kind
        object["scope"] = type.namespaced ? "Namespaced" : "Cluster"
        object["singularResource"] = .string(type.singular)
        object["verbs"] = .array(ResourceType.verbs)
        if !type.shortNames.isEmpty { object["shortNames"] = .array(type.shortNames.map { .string($0) }) }
        if !type.categories.isEmpty { object["categories"] = .array(type.categories.map { .string($0) }) }
        if type.hasStatus {
            object["subresources"] = [
                ["subresource": "status", "responseKind": kind, "verbs": ["get", "patch", "update"]]
            ]
        }
        return .object(object)
    }
}
