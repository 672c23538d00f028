/// Kubernetes strategic merge patches, for kustomize's patches and for the local API server.
///
/// Objects merge recursively; `null` deletes a key; lists of objects merge by a key (``fieldKeys``: `name` for
/// containers, volumes and env; `containerPort` or `port` for ports; `mountPath` for volume mounts; `type` for
/// conditions...) in built-in kinds; other lists, and every list of a custom resource (no schema), are replaced.
/// `$patch: delete` and `$patch: replace` directives are honoured on objects and list elements. Where kustomize
/// and the API server differ, ``Options`` says how.
package enum StrategicMerge {
    /// The two ways a strategic merge is done in Kubernetes' tools.
    package struct Options: Sendable {
        /// Where merged list elements go: kustomize puts the patch's elements first (in patch order, merged with
        /// their counterparts), then the target's remaining ones; the API server (apimachinery) keeps the target's
        /// order and appends new elements.
        package var patchElementsFirst: Bool
        /// Whether the API server's directives are honoured: `$retainKeys`, `$setElementOrder/<field>` (accepted,
        /// order not applied), `$deleteFromPrimitiveList/<field>`, and the set merge of `finalizers`
        /// (`patchStrategy: merge` on a list of strings). Kustomize passes them through as fields.
        package var serverDirectives: Bool

        /// What `kustomize build` does.
        package static let kustomize = Options(patchElementsFirst: true, serverDirectives: false)
        /// What kube-apiserver does with `application/strategic-merge-patch+json` (and the local API server for
        /// server-side apply).
        package static let apiServer = Options(patchElementsFirst: false, serverDirectives: true)
    }

    /// The merge key of each list field of the built-in kinds, as their Go types declare it (`patchMergeKey`).
    /// `ports` is decided by its elements (see ``mergeKey(field:_:)``).
    package static let fieldKeys: [String: String] = [
        "containers": "name", "initContainers": "name", "ephemeralContainers": "name", "volumes": "name",
        "env": "name", "imagePullSecrets": "name", "volumeMounts": "mountPath", "volumeDevices": "devicePath",
        "hostAliases": "ip", "readinessGates": "conditionType", "topologySpreadConstraints": "topologyKey",
        "resourceClaims": "name", "webhooks": "name", "secrets": "name", "ownerReferences": "uid",
        "conditions": "type",
    ]

    /// Lists of scalars that Kubernetes' schema merges (`metadata.finalizers`) as kustomize (kyaml) merges them: the
    /// patch's values in its order, then the target's others; nil for any other list.
    static func mergePrimitives(field: String, _ target: [JSONValue], _ patch: [JSONValue]) -> [JSONValue]? {
        guard field == "finalizers", (target + patch).allSatisfy({ $0.objectValue == nil && $0.arrayValue == nil })
        else { return nil }
        var result: [JSONValue] = []
        for value in patch + target where !result.contains(value) { result.append(value) }
        return result
    }

    /// `target` with `patch` merged in; `nil` when the patch deletes the whole object.
    /// - Parameters:
    ///   - schema: whether the object's lists have merge keys (built-in kinds); without, every list is replaced.
    ///   - options: kustomize's way (the default) or the API server's.
    package static func merge(
        _ target: JSONValue, _ patch: JSONValue, schema: Bool = true, options: Options = .kustomize
    ) -> JSONValue? {
        guard case .object(let patchObject) = patch else { return patch }
        if patchObject["$patch"]?.stringValue == "delete" { return nil }
        if patchObject["$patch"]?.stringValue == "replace" {
            let kept = patchObject.filter { $0.key != "$patch" }.map { ($0.key, $0.value) }
            return options.serverDirectives
                ? strip(.object(JSONObject(kept)), options: options) : .object(JSONObject(kept))
        }
        guard case .object(var result) = target else { return strip(patch, options: options) }
        if options.serverDirectives {
            applyDirectives(patchObject, to: &result)
        }
        for (key, value) in patchObject {
            if key == "$patch" { continue }
            if options.serverDirectives, key.hasPrefix("$") { continue }
            if value.isNull {
                result[key] = nil
                continue
            }
            guard let existing = result[key] else {
                if let stripped = strip(value, options: options) { result[key] = stripped }
                continue
            }
            switch (existing, value) {
            case (.object, .object):
                result[key] = merge(existing, value, schema: schema, options: options)
            case (.array(let targetItems), .array(let patchItems)):
                // A ServiceAccount's own imagePullSecrets have no merge key in Kubernetes' schema (a pod's do).
                let keyed = schema && !(key == "imagePullSecrets" && result["kind"]?.stringValue == "ServiceAccount")
                result[key] = .array(mergeList(field: key, targetItems, patchItems, schema: keyed, options: options))
            default:
                result[key] = strip(value, options: options)
            }
        }
        return .object(result)
    }

    /// Removes directives from a value that is inserted as is: `$patch`, and with the API server's options every
    /// `$` key.
    static func strip(_ value: JSONValue, options: Options = .kustomize) -> JSONValue? {
        switch value {
        case .object(let object):
            if object["$patch"]?.stringValue == "delete" { return nil }
            var result = JSONObject()
            for (key, child) in object where key != "$patch" && !(options.serverDirectives && key.hasPrefix("$")) {
                if let stripped = strip(child, options: options) { result[key] = stripped }
            }
            return .object(result)
        case .array(let items):
            return .array(items.compactMap { strip($0, options: options) })
        default:
            return value
        }
    }

    /// The merge key of the list `field` holding `items`, or nil when the list is replaced whole.
    package static func mergeKey(field: String, _ items: [JSONValue]) -> String? {
        let objects = items.compactMap(\.objectValue)
        guard !objects.isEmpty, objects.count == items.count else { return nil }
        if field == "ports" {
            if objects.allSatisfy({ $0["containerPort"] != nil }) { return "containerPort" }
            if objects.allSatisfy({ $0["port"] != nil }) { return "port" }
        }
        return fieldKeys[field]
    }

    static func mergeList(
        field: String, _ target: [JSONValue], _ patch: [JSONValue], schema: Bool, options: Options
    ) -> [JSONValue] {
        if options.serverDirectives, field == "finalizers" {
            return target + patch.filter { item in !target.contains(item) }
        }
        // kustomize: `- $patch: replace` alone replaces the list; with other fields it is an element (see
        // ``kustomizeMergeList``). The API server replaces the list for any element carrying it.
        let isReplaceDirective = { (item: JSONValue) in
            item["$patch"]?.stringValue == "replace" && (!options.patchElementsFirst || item.objectValue?.count == 1)
        }
        if patch.contains(where: isReplaceDirective) {
            return patch.filter { !isReplaceDirective($0) }.compactMap { strip($0, options: options) }
        }
        if schema, !options.serverDirectives, let primitive = mergePrimitives(field: field, target, patch) {
            return primitive
        }
        let realPatchItems = patch.filter { $0["$patch"]?.stringValue != "delete" }
        guard schema, let key = mergeKey(field: field, target + realPatchItems) ?? mergeKey(field: field, patch) else {
            return patch.compactMap { strip($0, options: options) }
        }
        return options.patchElementsFirst
            ? kustomizeMergeList(field: field, key: key, target, patch, schema: schema, options: options)
            : serverMergeList(key: key, target, patch, schema: schema, options: options)
    }

    /// apimachinery: the target's order, a deleted element dropped, new elements appended.
    private static func serverMergeList(
        key: String, _ target: [JSONValue], _ patch: [JSONValue], schema: Bool, options: Options
    ) -> [JSONValue] {
        var merged = target
        var fromPatch: [JSONValue] = []
        var used = Set<Int>()
        for item in patch {
            guard let id = item[key] else { continue }
            if let index = target.indices.first(where: {
                !used.contains($0) && target[$0][key] == id && sameProtocol(key, target[$0], item)
            }) {
                used.insert(index)
                merged[index] = merge(target[index], item, schema: schema, options: options) ?? .null
            } else if item["$patch"]?.stringValue != "delete", let stripped = strip(item, options: options) {
                fromPatch.append(stripped)
            }
        }
        return merged.filter { !$0.isNull } + fromPatch
    }

    /// As kyaml merges with kustomize's options: the patch's elements first, in patch order (merged with their
    /// counterparts), then the target's remaining elements in their order. For lists keyed by two fields (ports,
    /// topology spread constraints), the target's elements are moved after the new ones instead.
    private static func kustomizeMergeList(
        field: String, key: String, _ target: [JSONValue], _ patch: [JSONValue], schema: Bool, options: Options
    ) -> [JSONValue] {
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
                if let value = replacing ? target[index] : merge(target[index], item, schema: schema, options: options) {
                    merged[index] = value
                    if secondary == nil { result.append(value) }
                } else {
                    deleted.insert(index)
                }
            } else if item["$patch"]?.stringValue != "delete", let stripped = strip(item, options: options) {
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
    package static func isBuiltIn(group: String) -> Bool {
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

    /// The API server's port matching: ports are keyed by port and protocol together (TCP when unset).
    static func sameProtocol(_ key: String, _ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        guard key == "port" || key == "containerPort" else { return true }
        return (lhs["protocol"]?.stringValue ?? "TCP") == (rhs["protocol"]?.stringValue ?? "TCP")
    }
}

extension StrategicMerge {
    /// The API server's object-level directives: `$retainKeys` (keys of `result` not listed are dropped) and
    /// `$deleteFromPrimitiveList/<field>` (those values leave the list). `$setElementOrder/<field>` is accepted and
    /// skipped by the caller, as every other `$` key.
    static func applyDirectives(_ patch: JSONObject, to result: inout JSONObject) {
        if let retain = patch["$retainKeys"]?.arrayValue?.compactMap(\.stringValue) {
            for key in result.keys where !retain.contains(key) { result[key] = nil }
        }
        let prefix = "$deleteFromPrimitiveList/"
        for (key, value) in patch where key.hasPrefix(prefix) {
            let field = String(key.dropFirst(prefix.count))
            let remove = value.arrayValue ?? []
            if let list = result[field]?.arrayValue {
                result[field] = .array(list.filter { item in !remove.contains { $0.semanticallyEquals(item) } })
            }
        }
    }
}
