import Foundation
import KubeCore

/// The part of the API server's OpenAPI v3 validation the Petrel CRDs use: type, required, enum, pattern,
/// min/maxLength, minimum, items, additionalProperties and unknown-field pruning (reported as an error here).
enum SchemaValidator {
    /// Every violation of `schema` by `value`, as `path: problem`.
    static func violations(of value: JSONValue, against schema: JSONValue, path: String = "") -> [String] {
        var problems: [String] = []
        let here = path.isEmpty ? "<root>" : path
        switch (schema["type"]?.stringValue, value) {
        case ("object", .object(let object)):
            let properties = schema["properties"]?.objectValue
            for name in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[name] == nil {
                problems.append("\(path.isEmpty ? name : "\(path).\(name)"): required")
            }
            for (key, member) in object {
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                if let child = properties?[key] {
                    problems += violations(of: member, against: child, path: childPath)
                } else if let additional = schema["additionalProperties"], additional.objectValue != nil {
                    problems += violations(of: member, against: additional, path: childPath)
                } else if properties != nil {
                    problems.append("\(childPath): unknown field")
                }
            }
        case ("array", .array(let array)):
            for (index, element) in array.enumerated() {
                if let items = schema["items"] {
                    problems += violations(of: element, against: items, path: "\(path)[\(index)]")
                }
            }
        case ("string", .string(let string)):
            if let allowed = schema["enum"]?.arrayValue, !allowed.contains(.string(string)) {
                problems.append("\(here): \"\(string)\" not in \(allowed)")
            }
            if let pattern = schema["pattern"]?.stringValue {
                let matches =
                    (try? NSRegularExpression(pattern: pattern))?.firstMatch(
                        in: string, range: NSRange(string.startIndex..., in: string)) != nil
                if !matches { problems.append("\(here): \"\(string)\" does not match \(pattern)") }
            }
            if let minimum = schema["minLength"]?.integerValue, string.count < minimum {
                problems.append("\(here): shorter than \(minimum)")
            }
            if let maximum = schema["maxLength"]?.integerValue, string.count > maximum {
                problems.append("\(here): longer than \(maximum)")
            }
        case ("boolean", .bool):
            break
        case ("integer", .integer(let integer)):
            if let minimum = schema["minimum"]?.integerValue, integer < minimum {
                problems.append("\(here): below \(minimum)")
            }
        default:
            problems.append("\(here): expected \(schema["type"]?.stringValue ?? "?"), found \(value)")
        }
        return problems
    }
}
