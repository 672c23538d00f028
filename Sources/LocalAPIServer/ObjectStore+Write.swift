import Foundation
import KubeCore

extension ObjectStore {
    /// Creates an object.
    ///
    /// - Parameters:
    ///   - type: the resource type, already resolved from the path.
    ///   - namespace: the namespace from the path, for namespaced types.
    ///   - body: the object sent, with `apiVersion` and `kind` already checked.
    ///   - dryRun: validate and build the object but store nothing.
    /// - Returns: the created object.
    /// - Throws: `AlreadyExists`, `Invalid`, or `NotFound` for a missing namespace.
    func create(_ type: ResourceType, namespace: String?, body: JSONValue, dryRun: Bool) throws(APIError)
        -> StoredObject
    {
        let prepared = try prepareCreate(type, namespace: namespace, body: body)
        let crdTypes = try crdTypesIfCRD(type, prepared)
        return try state.withLock { (state: inout State) throws(APIError) -> StoredObject in
            try createLocked(
                type, namespace: namespace, object: prepared, crdTypes: crdTypes, dryRun: dryRun, state: &state)
        }
    }

    private func crdTypesIfCRD(_ type: ResourceType, _ object: JSONValue) throws(APIError) -> [ResourceType]? {
        guard type.key == ResourceType.crdType.key else { return nil }
        switch ResourceType.fromCRD(object) {
        case .success(let types): return types
        case .failure(let error): throw error
        }
    }

    /// Fills in the name from `generateName`, the namespace, and validates names, labels and schema.
    private func prepareCreate(_ type: ResourceType, namespace: String?, body: JSONValue) throws(APIError) -> JSONValue
    {
        var object = body
        var name = ObjectMeta.name(object)
        if name.isEmpty, let prefix = object[path: ["metadata", "generateName"]]?.stringValue, !prefix.isEmpty {
            name = prefix + ObjectMeta.randomSuffix()
            object.set(path: ["metadata", "name"], to: .string(name))
        }
        if type.namespaced, let namespace {
            object.set(path: ["metadata", "namespace"], to: .string(namespace))
        } else if !type.namespaced {
            object.set(path: ["metadata", "namespace"], to: nil)
        }
        if type.key == "/secrets", (object["type"]?.stringValue ?? "").isEmpty { object["type"] = "Opaque" }
        try Validation.validate(type, object)
        return object
    }

    func createLocked(
        _ type: ResourceType, namespace: String?, object: JSONValue, crdTypes: [ResourceType]?, dryRun: Bool,
        state: inout State
    ) throws(APIError) -> StoredObject {
        let name = ObjectMeta.name(object)
        if type.namespaced {
            let namespaceName = namespace ?? ""
            guard let namespaceObject = state.objects[ResourceType.namespaceType.key]?["/\(namespaceName)"] else {
                throw .notFound(.namespaceType, namespaceName)
            }
            if namespaceObject.value[path: ["metadata", "deletionTimestamp"]] != nil {
                throw APIError(
                    code: 403, reason: "Forbidden",
                    message: "\(type.plural) \"\(name)\" is forbidden: unable to create new content in namespace "
                        + "\(namespaceName) because it is being terminated", name: name, group: type.group,
                    kind: type.plural)
            }
        }
        if state.objects[type.key]?[Self.objectKey(namespace, name)] != nil { throw .alreadyExists(type, name) }
        if let crdTypes, let first = crdTypes.first {
            for served in state.types.values where served.group == first.group && served.plural == first.plural {
                throw .invalid(
                    .crdType, name,
                    [
                        .init(
                            reason: "FieldValueInvalid",
                            message: "Invalid value: \"\(first.plural)\": is already in use", field: "spec.names.plural"
                        )
                    ])
            }
        }
        let now = ObjectMeta.now()
        func build(_ rv: Int64?) -> JSONValue {
            var value = object
            value.set(path: ["metadata", "uid"], to: .string(UUID().uuidString.lowercased()))
            value.set(path: ["metadata", "creationTimestamp"], to: .string(now))
            value.set(path: ["metadata", "generation"], to: type.tracksGeneration ? 1 : nil)
            value.set(path: ["metadata", "resourceVersion"], to: rv.map { .string(String($0)) })
            value.set(path: ["metadata", "deletionTimestamp"], to: nil)
            if type.hasStatus { value["status"] = nil }
            if type.key == ResourceType.namespaceType.key {
                value["spec"] = ["finalizers": ["kubernetes"]]
                value["status"] = ["phase": "Active"]
            }
            if type.key == ResourceType.crdType.key { value["status"] = ResourceType.crdStatus(value, now: now) }
            return .object(ObjectMeta.canonical(value.objectValue ?? JSONObject()))
        }
        if dryRun { return StoredObject(build(nil)) }
        if let crdTypes {
            state.crdTypes[name] = crdTypes
            for served in crdTypes { state.types["\(served.group)/\(served.version)/\(served.plural)"] = served }
        }
        return commit(type, namespace: namespace, name: name, eventType: "ADDED", state: &state, build: build)
    }

    /// Replaces an object (or its status) with what `transform` returns from the current one.
    ///
    /// - Parameters:
    ///   - statusOnly: a write to the `/status` subresource: only `status` changes.
    ///   - allowCreate: create the object when it does not exist (`transform` then gets nil).
    ///   - transform: computes the new object from the current one; runs under the store's lock.
    /// - Returns: the stored object and whether it was created.
    func update(
        _ type: ResourceType, namespace: String?, name: String, statusOnly: Bool, dryRun: Bool, allowCreate: Bool,
        transform: (JSONValue?) throws(APIError) -> JSONValue
    ) throws(APIError) -> (object: StoredObject, created: Bool) {
        try state.withLock { (state: inout State) throws(APIError) -> (object: StoredObject, created: Bool) in
            guard let current = state.objects[type.key]?[Self.objectKey(namespace, name)] else {
                guard allowCreate, !statusOnly else { throw .notFound(type, name) }
                var body = try transform(nil)
                if ObjectMeta.name(body).isEmpty { body.set(path: ["metadata", "name"], to: .string(name)) }
                let prepared = try prepareCreate(type, namespace: namespace, body: body)
                let crdTypes = try crdTypesIfCRD(type, prepared)
                let created = try createLocked(
                    type, namespace: namespace, object: prepared, crdTypes: crdTypes, dryRun: dryRun, state: &state)
                return (created, true)
            }
            let proposed = try transform(current.value)
            let updated = try prepareUpdate(
                type, current: current.value, proposed: proposed, name: name, statusOnly: statusOnly)
            if updated.semanticallyEquals(current.value) { return (current, false) }
            if dryRun { return (StoredObject(updated), false) }
            if type.key == ResourceType.crdType.key, !statusOnly {
                let crdTypes = try crdTypesIfCRD(type, updated)
                if let old = state.crdTypes[name] {
                    for served in old { state.types["\(served.group)/\(served.version)/\(served.plural)"] = nil }
                }
                state.crdTypes[name] = crdTypes
                for served in crdTypes ?? [] {
                    state.types["\(served.group)/\(served.version)/\(served.plural)"] = served
                }
            }
            let finished =
                updated[path: ["metadata", "deletionTimestamp"]] != nil && ObjectMeta.finalizers(updated).isEmpty
            let stored = commit(
                type, namespace: namespace, name: name, eventType: finished ? "DELETED" : "MODIFIED", state: &state
            ) { rv in
                var value = updated
                value.set(path: ["metadata", "resourceVersion"], to: .string(String(rv)))
                return value
            }
            if finished { removeDependents(type, name: name, state: &state) }
            return (stored, false)
        }
    }

    /// Merges server-owned fields of `current` into `proposed` and checks the resourceVersion precondition.
    private func prepareUpdate(
        _ type: ResourceType, current: JSONValue, proposed: JSONValue, name: String, statusOnly: Bool
    ) throws(APIError) -> JSONValue {
        guard proposed.objectValue != nil else { throw .badRequest("the object must be a JSON object") }
        let proposedName = ObjectMeta.name(proposed)
        if !proposedName.isEmpty, proposedName != name {
            throw .badRequest("the name of the object (\(proposedName)) does not match the name on the URL (\(name))")
        }
        if let rv = proposed[path: ["metadata", "resourceVersion"]]?.stringValue, !rv.isEmpty,
            rv != current[path: ["metadata", "resourceVersion"]]?.stringValue
        {
            throw .conflict(type, name)
        }
        var result: JSONValue
        if statusOnly {
            result = current
            result["status"] = proposed["status"]
            // As kube-apiserver does, the status subresource validates the whole object against the schema.
            try Validation.validate(type, result)
        } else {
            result = proposed
            if type.hasStatus { result["status"] = current["status"] }
            result.set(path: ["metadata", "name"], to: .string(name))
            try Validation.validate(type, result)
            try Validation.validateUpdate(type, old: current, new: result)
        }
        for field in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "namespace"] {
            result.set(path: ["metadata", field], to: current[path: ["metadata", field]])
        }
        if current[path: ["metadata", "deletionTimestamp"]] != nil, !statusOnly {
            // Finalizers may only be removed from an object being deleted; keep everything else as it was asked.
        }
        if result[path: ["metadata", "managedFields"]] == nil {
            result.set(path: ["metadata", "managedFields"], to: current[path: ["metadata", "managedFields"]])
        }
        result["apiVersion"] = current["apiVersion"]
        result["kind"] = current["kind"]
        var generation = current[path: ["metadata", "generation"]]?.integerValue ?? 1
        let dropStatus = type.hasStatus || type.key == ResourceType.crdType.key
        if !ObjectMeta.specPart(result, dropStatus: dropStatus).semanticallyEquals(
            ObjectMeta.specPart(current, dropStatus: dropStatus))
        {
            generation += 1
        }
        result.set(path: ["metadata", "generation"], to: type.tracksGeneration ? .integer(generation) : nil)
        result.set(path: ["metadata", "resourceVersion"], to: current[path: ["metadata", "resourceVersion"]])
        if type.key == ResourceType.crdType.key, !statusOnly {
            result["status"] = ResourceType.crdStatus(result, now: ObjectMeta.now())
        }
        return .object(ObjectMeta.canonical(result.objectValue ?? JSONObject()))
    }

    /// Deletes an object, or marks it with `deletionTimestamp` while it has finalizers.
    ///
    /// Deleting a Namespace deletes its contents; deleting a CRD stops serving it and deletes its objects.
    func delete(
        _ type: ResourceType, namespace: String?, name: String, dryRun: Bool, preconditionResourceVersion: String?
    ) throws(APIError) -> StoredObject {
        try state.withLock { (state: inout State) throws(APIError) -> StoredObject in
            guard let current = state.objects[type.key]?[Self.objectKey(namespace, name)] else {
                throw .notFound(type, name)
            }
            if let preconditionResourceVersion, preconditionResourceVersion != String(current.resourceVersion) {
                throw .conflict(type, name)
            }
            if dryRun { return current }
            if !ObjectMeta.finalizers(current.value).isEmpty {
                if current.value[path: ["metadata", "deletionTimestamp"]] != nil { return current }
                if type.key == ResourceType.namespaceType.key { deleteNamespaceContents(name, state: &state) }
                return commit(type, namespace: namespace, name: name, eventType: "MODIFIED", state: &state) { rv in
                    var value = current.value
                    value.set(path: ["metadata", "deletionTimestamp"], to: .string(ObjectMeta.now()))
                    value.set(path: ["metadata", "deletionGracePeriodSeconds"], to: 0)
                    value.set(path: ["metadata", "resourceVersion"], to: .string(String(rv)))
                    if type.key == ResourceType.namespaceType.key {
                        value.set(path: ["status", "phase"], to: "Terminating")
                    }
                    return .object(ObjectMeta.canonical(value.objectValue ?? JSONObject()))
                }
            }
            let deleted = commit(type, namespace: namespace, name: name, eventType: "DELETED", state: &state) { rv in
                var value = current.value
                value.set(path: ["metadata", "resourceVersion"], to: .string(String(rv)))
                return value
            }
            removeDependents(type, name: name, state: &state)
            return deleted
        }
    }

    /// After a Namespace or CRD is gone: delete what it contained.
    private func removeDependents(_ type: ResourceType, name: String, state: inout State) {
        if type.key == ResourceType.namespaceType.key {
            deleteNamespaceContents(name, state: &state)
        } else if type.key == ResourceType.crdType.key, let served = state.crdTypes.removeValue(forKey: name) {
            for crdType in served { state.types["\(crdType.group)/\(crdType.version)/\(crdType.plural)"] = nil }
            if let first = served.first {
                for (key, object) in state.objects[first.key] ?? [:] {
                    let parts = key.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
                    _ = commit(
                        first, namespace: first.namespaced ? String(parts[0]) : nil,
                        name: ObjectMeta.name(object.value),
                        eventType: "DELETED", state: &state
                    ) { _ in object.value }
                }
                state.objects[first.key] = nil
            }
        }
    }

    /// Deletes every namespaced object in `namespace`; objects with finalizers get a deletionTimestamp instead.
    private func deleteNamespaceContents(_ namespace: String, state: inout State) {
        let namespacedTypes = Dictionary(state.types.values.filter(\.namespaced).map { ($0.key, $0) }) { first, _ in
            first
        }
        for (typeKey, type) in namespacedTypes {
            for (key, object) in state.objects[typeKey] ?? [:] where key.hasPrefix(namespace + "/") {
                let name = ObjectMeta.name(object.value)
                if ObjectMeta.finalizers(object.value).isEmpty {
                    _ = commit(type, namespace: namespace, name: name, eventType: "DELETED", state: &state) { rv in
                        var value = object.value
                        value.set(path: ["metadata", "resourceVersion"], to: .string(String(rv)))
                        return value
                    }
                } else if object.value[path: ["metadata", "deletionTimestamp"]] == nil {
                    _ = commit(type, namespace: namespace, name: name, eventType: "MODIFIED", state: &state) { rv in
                        var value = object.value
                        value.set(path: ["metadata", "deletionTimestamp"], to: .string(ObjectMeta.now()))
                        value.set(path: ["metadata", "resourceVersion"], to: .string(String(rv)))
                        return value
                    }
                }
            }
        }
    }
}
