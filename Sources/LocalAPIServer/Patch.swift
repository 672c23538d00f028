import Foundation
import KubeCore

/// JSON merge patch (RFC 7386), JSON patch (RFC 6902) and Kubernetes strategic merge patch.
enum Patch {
    // MARK: Merge patch

    static func merge(_ target: JSONValue?, _ patch: JSONValue) -> JSONValue {
        guard let patchObject = patch.objectValue else { return patch }
        var result = target?.objectValue ?? JSONObject()
        for (key, value) in patchObject {
            if value.isNull {
                result[key] = nil
            } else {
                result[key] = merge(result[key], value)
            }
        }
        return .object(result)
    }

    // MARK: Strategic merge patch

    /// The merge key of a list field, as the Go types declare it (`patchMergeKey`).
    static func mergeKey(field: String, items: [JSONValue]) -> String? {
        switch field {
        case "containers", "initContainers", "ephemeralContainers", "env", "volumes", "imagePullSecrets":
            return "name"
        case "volumeMounts": return "mountPath"
        case "volumeDevices": return "devicePath"
        case "ports":
            return items.contains(where: { $0["containerPort"] != nil }) ? "containerPort" : "port"
        case "conditions": return "type"
        case "hostAliases": return "ip"
        case "ownerReferences": return "uid"
        default: return nil
        }
    }

    static func strategicMerge(_ target: JSONValue?, _ patch: JSONValue) -> JSONValue {
        guard var patchObject = patch.objectValue else { return patch }
        if patchObject["$patch"]?.stringValue == "replace" {
            patchObject["$patch"] = nil
            return .object(stripDirectives(patchObject))
        }
        var result = target?.objectValue ?? JSONObject()
        if let retain = patchObject["$retainKeys"]?.arrayValue?.compactMap(\.stringValue) {
            for key in result.keys where !retain.contains(key) { result[key] = nil }
        }
        for (key, value) in patchObject {
            if key.hasPrefix("$setElementOrder/") || key == "$retainKeys" || key == "$patch" { continue }
            if key.hasPrefix("$deleteFromPrimitiveList/") {
                let field = String(key.dropFirst("$deleteFromPrimitiveList/".count))
                let remove = value.arrayValue ?? []
                if let list = result[field]?.arrayValue {
                    result[field] = .array(
                        list.filter { item in !remove.contains(where: { $0.semanticallyEquals(item) }) })
                }
                continue
            }
            if value.isNull {
                result[key] = nil
            } else if value.objectValue?["$patch"]?.stringValue == "delete" {
                result[key] = nil
            } else if let patchList = value.arrayValue {
                result[key] = mergeList(field: key, current: result[key]?.arrayValue, patch: patchList)
            } else if value.objectValue != nil {
                result[key] = strategicMerge(result[key], value)
            } else {
                result[key] = value
            }
        }
        return .object(result)
    }

    private static func mergeList(field: String, current: [JSONValue]?, patch: [JSONValue]) -> JSONValue {
        if field == "finalizers", let current {
            var merged = current
            for item in patch where !merged.contains(item) { merged.append(item) }
            return .array(merged)
        }
        guard let key = mergeKey(field: field, items: patch + (current ?? [])), var merged = current else {
            return .array(patch.filter { $0.objectValue?["$patch"] == nil }.map { stripDirectivesValue($0) })
        }
        if patch.contains(where: { $0.objectValue?["$patch"]?.stringValue == "replace" }) {
            return .array(patch.filter { $0.objectValue?["$patch"] == nil }.map { stripDirectivesValue($0) })
        }
        for item in patch {
            guard let itemKey = item[key] else { continue }
            let index = merged.firstIndex { $0[key]?.semanticallyEquals(itemKey) ?? false }
            if item["$patch"]?.stringValue == "delete" {
                if let index { merged.remove(at: index) }
            } else if let index {
                merged[index] = strategicMerge(merged[index], item)
            } else {
                merged.append(stripDirectivesValue(item))
            }
        }
        return .array(merged)
    }

    private static func stripDirectivesValue(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object): return .object(stripDirectives(object))
        case .array(let array): return .array(array.map(stripDirectivesValue))
        default: return value
        }
    }

    private static func stripDirectives(_ object: JSONObject) -> JSONObject {
        var result = JSONObject()
        for (key, value) in object where !key.hasPrefix("$") { result[key] = stripDirectivesValue(value) }
        return result
    }

    // MARK: JSON patch

    static func jsonPatch(_ target: JSONValue, _ operations: JSONValue) throws(APIError) -> JSONValue {
        guard let list = operations.arrayValue else {
            throw .badRequest("json patch must be a JSON array of operations")
        }
        var document = target
        for operation in list {
            guard let op = operation["op"]?.stringValue, let path = operation["path"]?.stringValue else {
                throw .badRequest("json patch operation needs \"op\" and \"path\"")
            }
            let pointer = try parsePointer(path)
            switch op {
            case "add": document = try apply(document, pointer, .add(operation["value"] ?? .null))
            case "replace": document = try apply(document, pointer, .replace(operation["value"] ?? .null))
            case "remove": document = try apply(document, pointer, .remove)
            case "test":
                guard let actual = try? read(document, pointer),
                    actual.semanticallyEquals(operation["value"] ?? .null)
                else { throw APIError(code: 422, reason: "Invalid", message: "the test operation failed at \(path)") }
            case "move", "copy":
                guard let from = operation["from"]?.stringValue else { throw .badRequest("\(op) needs \"from\"") }
                let fromPointer = try parsePointer(from)
                let value = try read(document, fromPointer)
                if op == "move" { document = try apply(document, fromPointer, .remove) }
                document = try apply(document, pointer, .add(value))
            default: throw .badRequest("unknown json patch operation \"\(op)\"")
            }
        }
        return document
    }

    private enum Edit { case add(JSONValue), replace(JSONValue), remove }

    private static func parsePointer(_ path: String) throws(APIError) -> [String] {
        if path.isEmpty { return [] }
        guard path.hasPrefix("/") else { throw .badRequest("invalid JSON pointer \"\(path)\"") }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    private static func read(_ value: JSONValue, _ pointer: [String]) throws(APIError) -> JSONValue {
        var current = value
        for token in pointer {
            if let object = current.objectValue, let child = object[token] {
                current = child
            } else if let array = current.arrayValue, let index = Int(token), array.indices.contains(index) {
                current = array[index]
            } else {
                throw APIError(
                    code: 422, reason: "Invalid",
                    message: "json patch path not found: /\(pointer.joined(separator: "/"))")
            }
        }
        return current
    }

    private static func apply(_ value: JSONValue, _ pointer: [String], _ edit: Edit) throws(APIError) -> JSONValue {
        guard let token = pointer.first else {
            switch edit {
            case .add(let new), .replace(let new): return new
            case .remove: return .null
            }
        }
        let rest = Array(pointer.dropFirst())
        if var object = value.objectValue {
            if rest.isEmpty {
                switch edit {
                case .add(let new): object[token] = new
                case .replace(let new):
                    guard object[token] != nil else { throw missing(pointer) }
                    object[token] = new
                case .remove:
                    guard object[token] != nil else { throw missing(pointer) }
                    object[token] = nil
                }
            } else {
                guard let child = object[token] else { throw missing(pointer) }
                object[token] = try apply(child, rest, edit)
            }
            return .object(object)
        }
        if var array = value.arrayValue {
            let index = token == "-" ? array.count : Int(token) ?? -1
            if rest.isEmpty {
                switch edit {
                case .add(let new):
                    guard index >= 0, index <= array.count else { throw missing(pointer) }
                    array.insert(new, at: index)
                case .replace(let new):
                    guard array.indices.contains(index) else { throw missing(pointer) }
                    array[index] = new
                case .remove:
                    guard array.indices.contains(index) else { throw missing(pointer) }
                    array.remove(at: index)
                }
            } else {
                guard array.indices.contains(index) else { throw missing(pointer) }
                array[index] = try apply(array[index], rest, edit)
            }
            return .array(array)
        }
        throw missing(pointer)
    }

    private static func missing(_ pointer: [String]) -> APIError {
        APIError(code: 422, reason: "Invalid", message: "json patch path not found: /\(pointer.joined(separator: "/"))")
    }
}
