import Foundation
import KubeCore

/// Validation of names, labels and custom-resource schemas, producing `Invalid` (422) causes.
enum Validation {
    private static func isAlphanumeric(_ c: Character) -> Bool {
        c.isASCII && (c.isLowercase || c.isNumber)
    }

    static func isDNSLabel(_ text: String) -> Bool {
        guard !text.isEmpty, text.count <= 63, let first = text.first, let last = text.last else { return false }
        return isAlphanumeric(first) && isAlphanumeric(last) && text.allSatisfy { isAlphanumeric($0) || $0 == "-" }
    }

    static func isDNSSubdomain(_ text: String) -> Bool {
        guard !text.isEmpty, text.count <= 253 else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isDNSLabel(String($0)) }
    }

    static func isLabelValue(_ text: String) -> Bool {
        if text.isEmpty { return true }
        guard text.count <= 63, let first = text.first, let last = text.last else { return false }
        func ok(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber) }
        return ok(first) && ok(last) && text.allSatisfy { ok($0) || $0 == "-" || $0 == "_" || $0 == "." }
    }

    static func isLabelKey(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let name = parts.last, !name.isEmpty else { return false }
        if parts.count == 2, !isDNSSubdomain(String(parts[0])) { return false }
        return isLabelValue(String(name))
    }

    /// Checks the object's name, labels and, for custom resources, its schema.
    static func validate(_ type: ResourceType, _ object: JSONValue) throws(APIError) {
        var causes: [APIError.Cause] = []
        let name = ObjectMeta.name(object)
        if name.isEmpty {
            causes.append(
                .init(
                    reason: "FieldValueRequired", message: "Required value: name or generateName is required",
                    field: "metadata.name"))
        } else {
            let label = ["namespaces", "services"].contains(type.plural) && type.group.isEmpty
            let valid = label ? isDNSLabel(name) : isDNSSubdomain(name)
            if !valid {
                let rule =
                    label
                    ? "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
                    : (name.count > 253
                        ? "must be no more than 253 characters"
                        : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character")
                causes.append(
                    .init(
                        reason: "FieldValueInvalid", message: "Invalid value: \"\(name)\": \(rule)",
                        field: "metadata.name"))
            }
        }
        for (key, value) in object[path: ["metadata", "labels"]]?.objectValue ?? JSONObject() {
            if !isLabelKey(key) {
                causes.append(
                    .init(
                        reason: "FieldValueInvalid",
                        message:
                            "Invalid value: \"\(key)\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                        field: "metadata.labels"))
            }
            guard let text = value.stringValue else {
                causes.append(
                    .init(
                        reason: "FieldValueInvalid", message: "Invalid value: label values must be strings",
                        field: "metadata.labels"))
                continue
            }
            if !isLabelValue(text) {
                causes.append(
                    .init(
                        reason: "FieldValueInvalid",
                        message:
                            "Invalid value: \"\(text)\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (max 63 characters)",
                        field: "metadata.labels"))
            }
        }
        if let schema = type.schema {
            var copy = object
            copy["metadata"] = nil
            copy["apiVersion"] = nil
            copy["kind"] = nil
            var schemaCopy = schema
            if var properties = schemaCopy["properties"]?.objectValue {
                properties["metadata"] = nil
                properties["apiVersion"] = nil
                properties["kind"] = nil
                schemaCopy["properties"] = .object(properties)
            }
            if let required = schemaCopy["required"]?.arrayValue {
                schemaCopy["required"] = .array(
                    required.filter { !["metadata", "apiVersion", "kind"].contains($0.stringValue ?? "") })
            }
            SchemaValidator.validate(copy, schema: schemaCopy, path: "", causes: &causes)
        }
        causes += builtInCauses(type, object)
        if !causes.isEmpty { throw .invalid(type, name, causes) }
    }
}

/// A small OpenAPI v3 structural-schema checker: type, required, enum, pattern, min/max, maxLength, properties,
/// items.
enum SchemaValidator {
    static func validate(_ value: JSONValue, schema: JSONValue, path: String, causes: inout [APIError.Cause]) {
        let field = path.isEmpty ? "<root>" : path
        if value.isNull, schema["nullable"]?.boolValue == true { return }
        if let type = schema["type"]?.stringValue, !matchesType(value, type) {
            causes.append(
                .init(
                    reason: "FieldValueTypeInvalid",
                    message:
                        "Invalid value: \"\(typeName(value))\": \(field) in body must be of type \(type): \"\(typeName(value))\"",
                    field: field))
            return
        }
        if let options = schema["enum"]?.arrayValue, !options.contains(where: { $0.semanticallyEquals(value) }) {
            let list = options.map { JSONSerializer.string($0) }.joined(separator: ", ")
            causes.append(
                .init(
                    reason: "FieldValueNotSupported",
                    message: "Unsupported value: \(JSONSerializer.string(value)): supported values: \(list)",
                    field: field))
        }
        if let pattern = schema["pattern"]?.stringValue, let text = value.stringValue,
            let regex = try? NSRegularExpression(pattern: pattern),
            regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil
        {
            causes.append(
                .init(
                    reason: "FieldValueInvalid",
                    message: "Invalid value: \"\(text)\": \(field) in body should match '\(pattern)'", field: field))
        }
        // kube-openapi counts characters as Go runes (Unicode scalars).
        if let maxLength = schema["maxLength"]?.integerValue, let text = value.stringValue,
            Int64(text.unicodeScalars.count) > maxLength
        {
            causes.append(
                .init(
                    reason: "FieldValueTooLong",
                    message: "Too long: \(field) in body should be at most \(maxLength) chars long", field: field))
        }
        if let minimum = schema["minimum"]?.doubleValue, let number = value.doubleValue, number < minimum {
            causes.append(
                .init(
                    reason: "FieldValueInvalid",
                    message:
                        "Invalid value: \(JSONSerializer.string(value)): \(field) in body should be greater than or equal to \(JSONSerializer.string(schema["minimum"] ?? .null))",
                    field: field))
        }
        if let maximum = schema["maximum"]?.doubleValue, let number = value.doubleValue, number > maximum {
            causes.append(
                .init(
                    reason: "FieldValueInvalid",
                    message:
                        "Invalid value: \(JSONSerializer.string(value)): \(field) in body should be less than or equal to \(JSONSerializer.string(schema["maximum"] ?? .null))",
                    field: field))
        }
        if let object = value.objectValue {
            for required in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
            where object[required] == nil {
                let child = path.isEmpty ? required : "\(path).\(required)"
                causes.append(.init(reason: "FieldValueRequired", message: "Required value", field: child))
            }
            let properties = schema["properties"]?.objectValue
            for (key, child) in object {
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                if let childSchema = properties?[key] {
                    validate(child, schema: childSchema, path: childPath, causes: &causes)
                } else if let additional = schema["additionalProperties"], additional.objectValue != nil {
                    validate(child, schema: additional, path: childPath, causes: &causes)
                }
            }
        }
        if let array = value.arrayValue, let items = schema["items"] {
            for (index, item) in array.enumerated() {
                validate(item, schema: items, path: "\(path)[\(index)]", causes: &causes)
            }
        }
    }

    private static func matchesType(_ value: JSONValue, _ type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool): return true
        case ("integer", .integer): return true
        case ("integer", .double(let number)): return number.rounded() == number
        case ("number", .integer), ("number", .double): return true
        default: return false
        }
    }

    private static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "boolean"
        case .integer: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}
