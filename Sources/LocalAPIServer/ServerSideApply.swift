import KubeCore

/// Server-side apply: field ownership per manager, kept in `metadata.managedFields` as FieldsV1.
///
/// Paths are lists of FieldsV1 elements (`f:name` for a field, `k:{"name":"x"}` for a keyed list element).
/// Lists with a known merge key are merged per element; other lists are owned whole (atomic).
enum ServerSideApply {
    typealias FieldPath = [String]

    /// The owned leaf paths of an object (metadata other than labels/annotations/finalizers/ownerReferences and
    /// `apiVersion`/`kind`/`status` are not tracked).
    static func paths(of object: JSONValue, includeStatus: Bool = false) -> Set<FieldPath> {
        var result = Set<FieldPath>()
        for (key, value) in object.objectValue ?? JSONObject() {
            switch key {
            case "apiVersion", "kind": continue
            case "status" where !includeStatus: continue
            case "metadata":
                for (metaKey, metaValue) in value.objectValue ?? JSONObject()
                where ["labels", "annotations", "finalizers", "ownerReferences"].contains(metaKey) {
                    collect(metaValue, field: metaKey, path: ["f:metadata", "f:\(metaKey)"], into: &result)
                }
            default:
                collect(value, field: key, path: ["f:\(key)"], into: &result)
            }
        }
        return result
    }

    private static func collect(_ value: JSONValue, field: String, path: FieldPath, into result: inout Set<FieldPath>) {
        if let object = value.objectValue, !object.isEmpty {
            for (key, child) in object { collect(child, field: key, path: path + ["f:\(key)"], into: &result) }
        } else if let array = value.arrayValue, !array.isEmpty, let key = StrategicMerge.mergeKey(field: field, array),
            array.allSatisfy({ $0[key] != nil })
        {
            for element in array {
                let elementPath = path + [elementToken(key: key, value: element[key] ?? .null)]
                result.insert(elementPath)
                for (childKey, child) in element.objectValue ?? JSONObject() {
                    collect(child, field: childKey, path: elementPath + ["f:\(childKey)"], into: &result)
                }
            }
        } else {
            result.insert(path)
        }
    }

    private static func elementToken(key: String, value: JSONValue) -> String {
        "k:" + JSONSerializer.string(.object(JSONObject([(key, value)])))
    }

    // MARK: FieldsV1 encoding

    static func fieldsV1(_ paths: Set<FieldPath>) -> JSONValue {
        var root = JSONValue.object(JSONObject())
        for path in paths.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            var existing = root[path: path]?.objectValue ?? JSONObject()
            if path.last?.hasPrefix("k:") == true { existing["."] = .object(JSONObject()) }
            root.set(path: path, to: .object(existing))
        }
        return root
    }

    static func paths(fromFieldsV1 value: JSONValue) -> Set<FieldPath> {
        var result = Set<FieldPath>()
        func walk(_ node: JSONValue, _ path: FieldPath) {
            let object = node.objectValue ?? JSONObject()
            let children = object.keys.filter { $0 != "." }
            if !path.isEmpty, children.isEmpty || object["."] != nil { result.insert(path) }
            for key in children { walk(object[key] ?? .null, path + [key]) }
        }
        walk(value, [])
        return result
    }

    // MARK: Reading and removing by path

    static func read(_ object: JSONValue, _ path: FieldPath) -> JSONValue? {
        var current: JSONValue? = object
        for element in path {
            guard let node = current else { return nil }
            if element.hasPrefix("f:") {
                current = node[String(element.dropFirst(2))]
            } else if element.hasPrefix("k:"), let key = try? JSONParser.parse(String(element.dropFirst(2))) {
                current = node.arrayValue?.first { item in matches(item, key) }
            } else {
                return nil
            }
        }
        return current
    }

    private static func matches(_ item: JSONValue, _ key: JSONValue) -> Bool {
        (key.objectValue ?? JSONObject()).allSatisfy { field in
            item[field.key]?.semanticallyEquals(field.value) ?? false
        }
    }

    static func remove(_ object: JSONValue, _ path: FieldPath) -> JSONValue {
        guard let first = path.first else { return object }
        let rest = Array(path.dropFirst())
        if first.hasPrefix("f:"), var dictionary = object.objectValue {
            let key = String(first.dropFirst(2))
            if rest.isEmpty {
                dictionary[key] = nil
            } else if let child = dictionary[key] {
                dictionary[key] = remove(child, rest)
            }
            return .object(dictionary)
        }
        if first.hasPrefix("k:"), var array = object.arrayValue,
            let key = try? JSONParser.parse(String(first.dropFirst(2))),
            let index = array.firstIndex(where: { matches($0, key) })
        {
            if rest.isEmpty { array.remove(at: index) } else { array[index] = remove(array[index], rest) }
            return .array(array)
        }
        return object
    }

    // MARK: Managed fields entries

    struct Entry {
        var manager: String
        var operation: String
        var apiVersion: String
        var time: String
        var subresource: String?
        var paths: Set<FieldPath>

        init(manager: String, operation: String, apiVersion: String, subresource: String?, paths: Set<FieldPath>) {
            self.manager = manager
            self.operation = operation
            self.apiVersion = apiVersion
            self.time = ObjectMeta.now()
            self.subresource = subresource
            self.paths = paths
        }

        init?(_ value: JSONValue) {
            guard let manager = value["manager"]?.stringValue else { return nil }
            self.manager = manager
            operation = value["operation"]?.stringValue ?? "Update"
            apiVersion = value["apiVersion"]?.stringValue ?? ""
            time = value["time"]?.stringValue ?? ObjectMeta.now()
            subresource = value["subresource"]?.stringValue
            paths = ServerSideApply.paths(fromFieldsV1: value["fieldsV1"] ?? .null)
        }

        var json: JSONValue {
            var object = JSONObject()
            object["manager"] = .string(manager)
            object["operation"] = .string(operation)
            object["apiVersion"] = .string(apiVersion)
            object["time"] = .string(time)
            object["fieldsType"] = "FieldsV1"
            object["fieldsV1"] = ServerSideApply.fieldsV1(paths)
            if let subresource { object["subresource"] = .string(subresource) }
            return .object(object)
        }
    }

    static func entries(_ object: JSONValue?) -> [Entry] {
        (object?[path: ["metadata", "managedFields"]]?.arrayValue ?? []).compactMap(Entry.init)
    }

    static func store(_ entries: [Entry], in object: inout JSONValue) {
        let kept = entries.filter { !$0.paths.isEmpty }
        object.set(path: ["metadata", "managedFields"], to: kept.isEmpty ? nil : .array(kept.map(\.json)))
    }

    /// Records a non-apply write: the fields it changed move to `manager` (operation Update).
    static func recordUpdate(old: JSONValue, new: JSONValue, manager: String, subresource: String?) -> JSONValue {
        let includeStatus = subresource == "status"
        let newPaths = paths(of: new, includeStatus: includeStatus)
        let changed = newPaths.filter { path in
            guard let before = read(old, path), let after = read(new, path) else { return true }
            return !before.semanticallyEquals(after)
        }
        var list = entries(old)
        var removedAny = false
        for index in list.indices {
            let gone = list[index].paths.filter { read(new, $0) == nil }
            if !gone.isEmpty {
                list[index].paths.subtract(gone)
                removedAny = true
            }
        }
        guard !changed.isEmpty || removedAny else { return new }
        for index in list.indices { list[index].paths.subtract(changed) }
        let apiVersion = new["apiVersion"]?.stringValue ?? ""
        if changed.isEmpty {
            // Only removals: nothing new to own.
        } else if let index = list.firstIndex(where: {
            $0.manager == manager && $0.operation == "Update" && $0.subresource == subresource
        }) {
            list[index].paths.formUnion(changed)
            list[index].time = ObjectMeta.now()
        } else {
            list.append(
                Entry(
                    manager: manager, operation: "Update", apiVersion: apiVersion, subresource: subresource,
                    paths: changed))
        }
        var result = new
        store(list, in: &result)
        return result
    }

    /// Applies `applied` as `manager`; removes fields the manager stopped applying; 409 on conflicts unless forced.
    static func apply(
        current: JSONValue?, applied: JSONValue, manager: String, force: Bool, type: ResourceType, name: String,
        subresource: String?
    ) throws(APIError) -> JSONValue {
        let includeStatus = subresource == "status"
        let appliedPaths = paths(of: applied, includeStatus: includeStatus)
        var list = entries(current)
        let base = current ?? .object(JSONObject())
        var conflicts: [(String, FieldPath)] = []
        for index in list.indices where list[index].manager != manager || list[index].operation != "Apply" {
            let overlap = list[index].paths.intersection(appliedPaths)
            for path in overlap {
                guard let have = read(base, path), let want = read(applied, path) else { continue }
                if path.last?.hasPrefix("k:") == true { continue }
                if !have.semanticallyEquals(want) { conflicts.append((list[index].manager, path)) }
            }
            if force { list[index].paths.subtract(overlap) }
        }
        if !conflicts.isEmpty, !force {
            let causes = conflicts.map { manager, path in
                APIError.Cause(
                    reason: "FieldManagerConflict", message: "conflict with \"\(manager)\"", field: dotted(path))
            }
            let lines = conflicts.map { "conflict with \"\($0.0)\": \(dotted($0.1))" }.joined(separator: "\n- ")
            throw APIError(
                code: 409, reason: "Conflict",
                message: "Apply failed with \(conflicts.count) conflict\(conflicts.count == 1 ? "" : "s"): \(lines)",
                name: name, group: type.group, kind: type.plural, causes: causes)
        }
        var result = base
        let previous = list.first { $0.manager == manager && $0.operation == "Apply" }?.paths ?? []
        let ownedByOthers = list.filter { $0.manager != manager || $0.operation != "Apply" }
            .reduce(into: Set<FieldPath>()) { $0.formUnion($1.paths) }
        for path in previous.subtracting(appliedPaths).subtracting(ownedByOthers)
            .sorted(by: { $0.count > $1.count })
        {
            result = remove(result, path)
        }
        var appliedBody = applied
        appliedBody.set(path: ["metadata", "managedFields"], to: nil)
        result = StrategicMerge.merge(result, appliedBody, options: .apiServer) ?? result
        list.removeAll { $0.manager == manager && $0.operation == "Apply" }
        list.append(
            Entry(
                manager: manager, operation: "Apply", apiVersion: applied["apiVersion"]?.stringValue ?? type.apiVersion,
                subresource: subresource, paths: appliedPaths))
        store(list, in: &result)
        return result
    }

    private static func dotted(_ path: FieldPath) -> String {
        "." + path.map { $0.hasPrefix("f:") ? String($0.dropFirst(2)) : "[\($0.dropFirst(2))]" }.joined(separator: ".")
    }
}
