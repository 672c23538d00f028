import KubeCore

/// Checks of built-in kinds the real API server performs and apply engines depend on: field types of a few
/// workload fields (the real server rejects `replicas: "two"`), and immutable fields on update.
extension Validation {
    private static let integer: JSONValue = ["type": "integer"]
    private static let string: JSONValue = ["type": "string"]
    private static let boolean: JSONValue = ["type": "boolean"]

    private static func object(_ properties: [(String, JSONValue)]) -> JSONValue {
        var object = JSONObject()
        for (key, value) in properties { object[key] = value }
        return ["type": "object", "properties": .object(object)]
    }

    private static var podTemplate: JSONValue {
        let container = object([("name", string), ("image", string)])
        return object([("spec", object([("containers", ["type": "array", "items": container])]))])
    }

    /// Partial structural schemas of built-in kinds, keyed by ``ResourceType/key``.
    static let builtInSchemas: [String: JSONValue] = {
        let workload = object([
            ("spec", object([
                ("replicas", integer), ("minReadySeconds", integer), ("paused", boolean),
                ("selector", ["type": "object"]), ("template", podTemplate),
            ]))
        ])
        let port = object([("port", integer), ("name", string), ("protocol", string)])
        return [
            "apps/deployments": workload, "apps/statefulsets": workload, "apps/replicasets": workload,
            "apps/daemonsets": object([("spec", object([("selector", ["type": "object"]), ("template", podTemplate)]))]),
            "batch/jobs": object([("spec", object([("parallelism", integer), ("completions", integer), ("template", podTemplate)]))]),
            "/services": object([("spec", object([("ports", ["type": "array", "items": port]), ("clusterIP", string)]))]),
            "/configmaps": object([("data", ["type": "object", "additionalProperties": string])]),
        ]
    }()

    /// Type errors of a built-in object against ``builtInSchemas``.
    static func builtInCauses(_ type: ResourceType, _ object: JSONValue) -> [APIError.Cause] {
        guard !type.isCustom, let schema = builtInSchemas[type.key] else { return [] }
        var causes: [APIError.Cause] = []
        SchemaValidator.validate(object, schema: schema, path: "", causes: &causes)
        return causes
    }

    /// Rejects updates of immutable fields: a workload's `spec.selector`, a Job's `spec.template`, a Service's
    /// set `spec.clusterIP` (the messages are the real server's, which apply engines recognise).
    static func validateUpdate(_ type: ResourceType, old: JSONValue, new: JSONValue) throws(APIError) {
        var causes: [APIError.Cause] = []
        func immutable(_ path: [String], unlessUnset: Bool = false) {
            let before = old[path: path]
            let after = new[path: path]
            if unlessUnset, before == nil || before?.stringValue == "" || after == nil || after?.stringValue == "" {
                return
            }
            if (before ?? .null).semanticallyEquals(after ?? .null) { return }
            causes.append(
                .init(
                    reason: "FieldValueInvalid",
                    message: "Invalid value: \(JSONSerializer.string(after ?? .null)): field is immutable",
                    field: path.joined(separator: ".")))
        }
        switch type.key {
        case "apps/deployments", "apps/statefulsets", "apps/daemonsets", "apps/replicasets":
            immutable(["spec", "selector"])
        case "batch/jobs":
            immutable(["spec", "selector"], unlessUnset: true)
            immutable(["spec", "template"])
        case "/services":
            immutable(["spec", "clusterIP"], unlessUnset: true)
        default: break
        }
        if !causes.isEmpty { throw .invalid(type, ObjectMeta.name(new), causes) }
    }
}
