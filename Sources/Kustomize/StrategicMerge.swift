import KubeCore

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
        "resourceClaims": "name", "webhooks": "name", "secrets": "name", "ownerReferences": "uid",
        "conditions": "type",
    ]

    /// Lists of scalars that Kubernetes' schema merges (`metadata.finalizers`): the patch's values in its order,
    /// then the target's others; nil for any other list.
    static func mergePrimitives(field: String, _ target: [JSONValue], _ patch: [JSONValue]) -> [JSONValue]? {
        guard field == "finalizers", (target + patch).allSatisfy({ $0.objectValue == nil && $0.arrayValue == nil })
        else { return nil }
        var result: [JSONValue] = []
        for value in patch + target where !result.contains(value) { result.append(value) }
        return result
    }

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
                // A ServiceAccount's own imagePullSecrets have no merge key in Kubernetes' schema (a pod's do).
                let keyed = schema && !(key == "imagePullSecrets" && result["kind"]?.stringValue == "ServiceAccount")
                result[key] = .array(mergeList(field: key, targetItems, patchItems, schema: keyed))
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
        // `- $patch: replace` alone replaces the list; with other fields it is an element (see below).
        let isReplaceDirective = { (item: JSONValue) in
            item["$patch"]?.stringValue == "replace" && item.objectValue?.count == 1
        }
        if patch.contains(where: isReplaceDirective) {
            return patch.filter { !isReplaceDirective($0) }.compactMap(strip)
        }
        if schema, let primitive = mergePrimitives(field: field, target, patch) { return primitive }
        let realPatchItems = patch.filter { $0["$patch"]?.stringValue != "delete" }
        guard schema, let key = mergeKey(field: field, target + realPatchItems) ?? mergeKey(field: field, patch) else {
            return patch.compactMap(strip)
        }
        // As kyaml merges with kustomize's options: the patch's elements first, in patch order (merged with their
        // counterparts), then the target's remaining elements in their order. For lists keyed by two fields
        // (ports, topology spread constraints), the target's elements are moved after the new ones instead.
        let secondary = secondaryKey(field: field)
        var result: [JSONValue] = []
        var merged: [Int: JSONValue] = [:]
        var deleted = Set<Int>()
        for item in patch {
            guard let id = item[key] else { continue }
            if let index = target.indices.first(where: {
                merged[$0] == nil && !deleted.contains($0) && target[$0][key] == id
                    && sameSecondary(secondary, target[$0], item)
            }) {
                // kyaml leaves an existing element alone when the patch's element says `$patch: replace`.
                let replacing = item["$patch"]?.stringValue == "replace"
                if let value = replacing ? target[index] : merge(target[index], item, schema: schema) {
                    merged[index] = value
                    if secondary == nil { result.append(value) }
                } else {
                    deleted.insert(index)
                }
            } else if item["$patch"]?.stringValue != "delete", let stripped = strip(item) {
                result.append(stripped)
            }
        }
        for index in target.indices where !deleted.contains(index) {
            if secondary == nil && merged[index] != nil { continue }
            result.append(merged[index] ?? target[index])
        }
        return result
    }
}

extension StrategicMerge {
    /// Whether objects of this API group are built into Kubernetes (and so have merge keys).
    static func isBuiltIn(group: String) -> Bool {
        !group.contains(".") || group.hasSuffix(".k8s.io")
    }
}

extension StrategicMerge {
    /// The second key of lists Kubernetes' schema keys by two fields: ports by port and `protocol`, topology spread
    /// constraints by topologyKey and `whenUnsatisfiable`.
    static func secondaryKey(field: String) -> String? {
        switch field {
        case "ports": "protocol"
        case "topologySpreadConstraints": "whenUnsatisfiable"
        default: nil
        }
    }

    /// Whether two elements agree on the second key; an element without it matches any value (kyaml merges the
    /// key values of such elements).
    static func sameSecondary(_ key: String?, _ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        guard let key, let left = lhs[key], let right = rhs[key] else { return true }
        return left == right
    }
}
