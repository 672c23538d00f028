/// Strategic merge patches as kustomize applies them.
///
/// Objects merge recursively; `null` deletes a key; lists of objects merge by a key (`name` for containers,
/// volumes and env; `containerPort` or `port` for ports; `mountPath` for volume mounts) in built-in kinds; other
/// lists, and every list of a custom resource (no schema), are replaced. `$patch: delete` and
/// `$patch: replace` directives are honoured on objects and list elements.
package enum StrategicMerge {
    static let fieldKeys: [String: String] = [
        "containers": "name", "initContainers": "name", "ephemeralContainers": "name", "volumes": "name",
        "env": "name", "imagePullSecrets": "name", "volumeMounts": "mountPath", "volumeDevices": "devicePath",
        "hostAliases": "ip", "readinessGates": "conditionType", "topologySpreadConstraints": "topologyKey",
        "resourceClaims": "name",
    ]

    /// `target` with `patch` merged in; `nil` when the patch deletes the whole object.
    package static func merge(_ target: JSONValue, _ patch: JSONValue, schema: Bool = true) -> JSONValue? {
        guard case .object(let patchObject) = patch else { return patch }
        if patchObject["$patch"]?.stringValue == "delete" { return nil }
        if patchObject["$patch"]?.stringValue == "replace" {
            return .object(JSONObject(patchObject.filter { $0.key != "$patch" }.map { ($0.key, $0.value) }))
        }
        guard case .object(var result) = target else { return strip(patch) }
        for (key, value) in patchObject {
            if key == "$patch" { continue }
            if value.isNull {
                result[key] = nil
                continue
            }
            guard let existing = result[key] else {
                if let stripped = strip(value) { result[key] = stripped }
                continue
            }
            switch (existing, value) {
            case (.object, .object):
                result[key] = merge(existing, value, schema: schema)
            case (.array(let targetItems), .array(let patchItems)):
                result[key] = .array(mergeList(field: key, targetItems, patchItems, schema: schema))
            default:
                result[key] = strip(value)
            }
        }
        return .object(result)
    }

    /// Removes directives from a value that is inserted as is.
    static func strip(_ value: JSONValue) -> JSONValue? {
        switch value {
        case .object(let object):
            if object["$patch"]?.stringValue == "delete" { return nil }
            var result = JSONObject()
            for (key, child) in object where key != "$patch" {
                if let stripped = strip(child) { result[key] = stripped }
            }
            return .object(result)
        case .array(let items):
            return .array(items.compactMap(strip))
        default:
            return value
        }
    }

    static func mergeKey(field: String, _ items: [JSONValue]) -> String? {
        let objects = items.compactMap(\.objectValue)
        guard !objects.isEmpty, objects.count == items.count else { return nil }
        if field == "ports" {
            if objects.allSatisfy({ $0["containerPort"] != nil }) { return "containerPort" }
            if objects.allSatisfy({ $0["port"] != nil }) { return "port" }
        }
        return fieldKeys[field]
    }

    static func mergeList(field: String, _ target: [JSONValue], _ patch: [JSONValue], schema: Bool) -> [JSONValue] {
        let replaceAll = patch.contains { $0["$patch"]?.stringValue == "replace" }
        if replaceAll {
            return patch.filter { $0["$patch"]?.stringValue != "replace" }.compactMap(strip)
        }
        let realPatchItems = patch.filter { $0["$patch"]?.stringValue != "delete" }
        guard schema, let key = mergeKey(field: field, target + realPatchItems) ?? mergeKey(field: field, patch) else {
            return patch.compactMap(strip)
        }
        // Like apimachinery's strategic merge: the patch's elements first, in patch order (merged with their
        // counterparts), then the target's remaining elements in their order.
        var result: [JSONValue] = []
        var used = Set<Int>()
        for item in patch {
            guard let id = item[key] else { continue }
            if let index = target.indices.first(where: {
                !used.contains($0) && target[$0][key] == id && sameProtocol(key, target[$0], item)
            }) {
                used.insert(index)
                if let merged = merge(target[index], item, schema: schema) { result.append(merged) }
            } else if item["$patch"]?.stringValue != "delete", let stripped = strip(item) {
                result.append(stripped)
            }
        }
        for index in target.indices where !used.contains(index) { result.append(target[index]) }
        return result
    }
}

extension StrategicMerge {
    /// Whether objects of this API group are built into Kubernetes (and so have merge keys).
    package static func isBuiltIn(group: String) -> Bool {
        !group.contains(".") || group.hasSuffix(".k8s.io")
    }
}

extension StrategicMerge {
    /// Ports are keyed by port and protocol together (TCP when unset), as Kubernetes' schema says.
    static func sameProtocol(_ key: String, _ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        guard key == "port" || key == "containerPort" else { return true }
        return (lhs["protocol"]?.stringValue ?? "TCP") == (rhs["protocol"]?.stringValue ?? "TCP")
    }
}
