/// RFC 6902 JSON patches.
package enum JSONPatch {
    /// Applies the operations in order.
    ///
    /// - Throws: A description of the first operation that cannot be applied.
    package static func apply(_ operations: [JSONValue], to document: JSONValue) throws(PatchError) -> JSONValue {
        var result = document
        for operation in operations {
            guard let op = operation["op"]?.stringValue, let path = operation["path"]?.stringValue else {
                throw PatchError("an operation needs 'op' and 'path'", malformed: true)
            }
            let tokens = try pointer(path)
            switch op {
            case "add":
                guard let value = operation["value"] else {
                    throw PatchError("'add' at \(path) needs a value", malformed: true)
                }
                try insert(value, at: tokens[...], in: &result, replace: false)
            case "replace":
                guard let value = operation["value"] else {
                    throw PatchError("'replace' at \(path) needs a value", malformed: true)
                }
                _ = try remove(at: tokens[...], in: &result)
                try insert(value, at: tokens[...], in: &result, replace: true)
            case "remove":
                _ = try remove(at: tokens[...], in: &result)
            case "move", "copy":
                guard let from = operation["from"]?.stringValue else {
                    throw PatchError("'\(op)' needs 'from'", malformed: true)
                }
                let fromTokens = try pointer(from)
                let value: JSONValue
                if op == "move" {
                    value = try remove(at: fromTokens[...], in: &result)
                } else {
                    guard let found = get(fromTokens[...], in: result) else { throw PatchError("no value at \(from)") }
                    value = found
                }
                try insert(value, at: tokens[...], in: &result, replace: false)
            case "test":
                guard let found = get(tokens[...], in: result), let expected = operation["value"],
                    found.semanticallyEquals(expected)
                else { throw PatchError("test failed at \(path)") }
            default:
                throw PatchError("unknown operation '\(op)'", malformed: true)
            }
        }
        return result
    }

    /// Why a patch could not be applied.
    package struct PatchError: Error, Sendable {
        package var message: String
        /// Whether the patch itself is malformed (a missing `op`, `path`, `value` or `from`, an unknown operation,
        /// a bad pointer), as opposed to well-formed operations that do not apply to the document (a missing
        /// path, a failed `test`). An API server answers the first with 400, the second with 422.
        package var isMalformed: Bool
        init(_ message: String, malformed: Bool = false) {
            self.message = message
            self.isMalformed = malformed
        }
    }

    static func pointer(_ path: String) throws(PatchError) -> [String] {
        if path.isEmpty { return [] }
        guard path.hasPrefix("/") else { throw PatchError("path '\(path)' must start with '/'", malformed: true) }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences("~1", "/").replacingOccurrences("~0", "~")
        }
    }

    static func get(_ tokens: ArraySlice<String>, in value: JSONValue) -> JSONValue? {
        guard let head = tokens.first else { return value }
        switch value {
        case .object(let object): return object[head].flatMap { get(tokens.dropFirst(), in: $0) }
        case .array(let items):
            guard let index = Int(head), items.indices.contains(index) else { return nil }
            return get(tokens.dropFirst(), in: items[index])
        default: return nil
        }
    }

    private static func insert(
        _ new: JSONValue, at tokens: ArraySlice<String>, in value: inout JSONValue, replace: Bool
    )
        throws(PatchError)
    {
        guard let head = tokens.first else {
            value = new
            return
        }
        let rest = tokens.dropFirst()
        switch value {
        case .object(var object):
            if rest.isEmpty {
                object[head] = new
            } else {
                guard var child = object[head] else { throw PatchError("missing path element '\(head)'") }
                try insert(new, at: rest, in: &child, replace: replace)
                object[head] = child
            }
            value = .object(object)
        case .array(var items):
            if rest.isEmpty {
                if head == "-" {
                    items.append(new)
                } else if let index = Int(head), index >= 0, index <= items.count {
                    items.insert(new, at: index)
                } else {
                    throw PatchError("index '\(head)' out of range")
                }
            } else {
                guard let index = Int(head), items.indices.contains(index) else {
                    throw PatchError("index '\(head)' out of range")
                }
                try insert(new, at: rest, in: &items[index], replace: replace)
            }
            value = .array(items)
        default:
            throw PatchError("cannot descend into a scalar at '\(head)'")
        }
    }

    private static func remove(at tokens: ArraySlice<String>, in value: inout JSONValue) throws(PatchError) -> JSONValue
    {
        guard let head = tokens.first else { throw PatchError("cannot remove the whole document") }
        let rest = tokens.dropFirst()
        switch value {
        case .object(var object):
            guard var child = object[head] else { throw PatchError("missing path element '\(head)'") }
            let removed: JSONValue
            if rest.isEmpty {
                removed = child
                object[head] = nil
            } else {
                removed = try remove(at: rest, in: &child)
                object[head] = child
            }
            value = .object(object)
            return removed
        case .array(var items):
            guard let index = Int(head), items.indices.contains(index) else {
                throw PatchError("index '\(head)' out of range")
            }
            let removed: JSONValue
            if rest.isEmpty {
                removed = items.remove(at: index)
            } else {
                removed = try remove(at: rest, in: &items[index])
            }
            value = .array(items)
            return removed
        default:
            throw PatchError("cannot descend into a scalar at '\(head)'")
        }
    }
}

extension Substring {
    fileprivate func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        String(self).split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

extension String {
    fileprivate func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
