import KubeCore

/// A minimal OpenAPI v3 surface: per group-version documents whose PATCH operations declare the
/// `fieldValidation` parameter with `x-kubernetes-group-version-kind`.
///
/// That is what kubectl (1.27+) looks for to decide that the server validates fields itself; it then sends
/// `fieldValidation=Strict` instead of validating client-side against schemas, so `kubectl apply` works
/// without `--validate=false`. No schemas are served.
enum OpenAPI {
    static func v3(_ rest: [String], types: [ResourceType]) throws(APIError) -> APIResponse {
        var groupVersions: [String: [ResourceType]] = [:]
        for type in types {
            let key = type.group.isEmpty ? "api/\(type.version)" : "apis/\(type.group)/\(type.version)"
            groupVersions[key, default: []].append(type)
        }
        if rest.isEmpty {
            var paths = JSONObject()
            for key in groupVersions.keys.sorted() {
                paths[key] = ["serverRelativeURL": .string("/openapi/v3/\(key)")]
            }
            return .object(["paths": .object(paths)])
        }
        guard let served = groupVersions[rest.joined(separator: "/")] else {
            throw .notFoundPath("/openapi/v3/" + rest.joined(separator: "/"))
        }
        var paths = JSONObject()
        for type in served.sorted(by: { $0.plural < $1.plural }) {
            let prefix = "/" + rest.joined(separator: "/")
            let path =
                type.namespaced
                ? "\(prefix)/namespaces/{namespace}/\(type.plural)/{name}" : "\(prefix)/\(type.plural)/{name}"
            let gvk: JSONValue = [
                "group": .string(type.group), "version": .string(type.version), "kind": .string(type.kind),
            ]
            let operation: JSONValue = [
                "operationId": .string("patch\(type.kind)"),
                "parameters": [
                    ["name": "fieldValidation", "in": "query", "schema": ["type": "string", "uniqueItems": true]],
                    ["name": "fieldManager", "in": "query", "schema": ["type": "string", "uniqueItems": true]],
                    ["name": "dryRun", "in": "query", "schema": ["type": "string", "uniqueItems": true]],
                ],
                "responses": ["200": ["description": "OK"]],
                "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": gvk,
            ]
            paths[path] = ["patch": operation]
        }
        return .object([
            "openapi": "3.0.0", "info": ["title": "Kubernetes", "version": "v1.32.0"], "paths": .object(paths),
            "components": ["schemas": [:]],
        ])
    }
}
