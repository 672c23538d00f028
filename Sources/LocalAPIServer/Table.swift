import Foundation
import KubeCore

/// `meta.k8s.io/v1` Table output, as `kubectl get` requests it.
enum Table {
    static func columns(for type: ResourceType) -> [PrinterColumn] {
        let name = PrinterColumn(
            name: "Name", type: "string", jsonPath: ".metadata.name",
            description: "Name must be unique within a namespace.", format: "name")
        let age = PrinterColumn(
            name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp",
            description: "CreationTimestamp is a timestamp representing the server time when this object was created.")
        if type.isCustom, !type.printerColumns.isEmpty { return [name] + type.printerColumns }
        switch type.key {
        case "/namespaces":
            return [name, PrinterColumn(name: "Status", type: "string", jsonPath: ".status.phase"), age]
        case "apps/deployments":
            return [
                name, PrinterColumn(name: "Up-to-date", type: "integer", jsonPath: ".status.updatedReplicas"),
                PrinterColumn(name: "Available", type: "integer", jsonPath: ".status.availableReplicas"), age,
            ]
        case "/pods":
            return [name, PrinterColumn(name: "Status", type: "string", jsonPath: ".status.phase"), age]
        case "apiextensions.k8s.io/customresourcedefinitions":
            return [name, PrinterColumn(name: "Created At", type: "date", jsonPath: ".metadata.creationTimestamp")]
        default:
            return [name, age]
        }
    }

    static func definitions(_ columns: [PrinterColumn]) -> JSONValue {
        .array(
            columns.map { column in
                [
                    "name": .string(column.name), "type": .string(column.type), "format": .string(column.format),
                    "description": .string(column.description), "priority": .integer(Int64(column.priority)),
                ]
            })
    }

    static func row(_ object: JSONValue, _ columns: [PrinterColumn]) -> JSONValue {
        let cells: [JSONValue] = columns.map { column in
            let values = JSONPath.evaluate(column.jsonPath, on: object)
            guard let first = values.first else { return .null }
            if values.count > 1 {
                return .string(values.map { $0.stringValue ?? JSONSerializer.string($0) }.joined(separator: ","))
            }
            switch (column.type, first) {
            case ("date", .string(let text)):
                guard let date = ObjectMeta.parseTime(text) else { return first }
                return .string(humanDuration(Date.now.timeIntervalSince(date)))
            case ("string", .string), ("integer", .integer), ("number", .integer),
                ("number", .double), ("boolean", .bool):
                return first
            case ("string", _): return .string(JSONSerializer.string(first))
            default: return first
            }
        }
        return ["cells": .array(cells), "object": object]
    }

    /// A short age such as `45s`, `3m12s`, `5h`, `2d3h`, as Kubernetes prints ages.
    static func humanDuration(_ interval: TimeInterval) -> String {
        let seconds = Int(interval)
        if seconds < -1 { return "<invalid>" }
        if seconds < 0 { return "0s" }
        if seconds < 120 { return "\(seconds)s" }
        let minutes = seconds / 60
        if minutes < 10 { return seconds % 60 == 0 ? "\(minutes)m" : "\(minutes)m\(seconds % 60)s" }
        if minutes < 180 { return "\(minutes)m" }
        let hours = minutes / 60
        if hours < 8 { return minutes % 60 == 0 ? "\(hours)h" : "\(hours)h\(minutes % 60)m" }
        if hours < 48 { return "\(hours)h" }
        if hours < 24 * 8 { return hours % 24 == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(hours % 24)h" }
        if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
        if hours < 24 * 365 * 8 { return "\(hours / 24 / 365)y\(hours / 24 % 365)d" }
        return "\(hours / 24 / 365)y"
    }

    static func table(_ objects: [JSONValue], type: ResourceType, resourceVersion: String, continueToken: String?)
        -> JSONValue
    {
        let columns = columns(for: type)
        var metadata = JSONObject()
        metadata["resourceVersion"] = .string(resourceVersion)
        if let continueToken { metadata["continue"] = .string(continueToken) }
        return [
            "kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": .object(metadata),
            "columnDefinitions": definitions(columns), "rows": .array(objects.map { row($0, columns) }),
        ]
    }
}

/// The JSONPath subset printer columns use: `.a.b`, `['a.b']`, `[0]`, `[*]`, `[?(@.type=="Ready")]`.
enum JSONPath {
    static func evaluate(_ expression: String, on root: JSONValue) -> [JSONValue] {
        var text = Substring(expression.trimmingCharacters(in: .whitespaces))
        if text.hasPrefix("{"), text.hasSuffix("}") { text = text.dropFirst().dropLast() }
        if text.hasPrefix("$") { text = text.dropFirst() }
        var current: [JSONValue] = [root]
        while !text.isEmpty {
            if text.hasPrefix(".") {
                text = text.dropFirst()
                let end = text.firstIndex { $0 == "." || $0 == "[" } ?? text.endIndex
                let key = String(text[..<end])
                text = text[end...]
                if key.isEmpty { continue }
                current = current.compactMap { $0[key] }
            } else if text.hasPrefix("[") {
                guard let close = closingBracket(text) else { return [] }
                let inner = text[text.index(after: text.startIndex)..<close].trimmingCharacters(in: .whitespaces)
                text = text[text.index(after: close)...]
                current = current.flatMap { select(inner, in: $0) }
            } else {
                return []
            }
        }
        return current
    }

    private static func closingBracket(_ text: Substring) -> Substring.Index? {
        var depth = 0
        var quote: Character?
        for index in text.indices {
            let character = text[index]
            if let open = quote {
                if character == open { quote = nil }
                continue
            }
            if character == "'" || character == "\"" { quote = character }
            if character == "[" { depth += 1 }
            if character == "]" {
                depth -= 1
                if depth == 0 { return index }
            }
        }
        return nil
    }

    private static func select(_ inner: String, in value: JSONValue) -> [JSONValue] {
        if inner == "*" { return value.arrayValue ?? value.objectValue?.orderedValues ?? [] }
        if let index = Int(inner), let array = value.arrayValue {
            let position = index < 0 ? array.count + index : index
            return array.indices.contains(position) ? [array[position]] : []
        }
        if (inner.hasPrefix("'") && inner.hasSuffix("'")) || (inner.hasPrefix("\"") && inner.hasSuffix("\"")),
            inner.count >= 2
        {
            return value[String(inner.dropFirst().dropLast())].map { [$0] } ?? []
        }
        if inner.hasPrefix("?(") && inner.hasSuffix(")") {
            let condition = inner.dropFirst(2).dropLast().trimmingCharacters(in: .whitespaces)
            return (value.arrayValue ?? []).filter { matches(condition, $0) }
        }
        return []
    }

    private static func matches(_ condition: String, _ item: JSONValue) -> Bool {
        for op in ["==", "!="] {
            guard let range = condition.range(of: op) else { continue }
            let left = condition[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
            var right = condition[range.upperBound...].trimmingCharacters(in: .whitespaces)
            guard left.hasPrefix("@") else { return false }
            if (right.hasPrefix("\"") && right.hasSuffix("\"")) || (right.hasPrefix("'") && right.hasSuffix("'")) {
                right = String(right.dropFirst().dropLast())
            }
            let actual = evaluate(String(left.dropFirst()), on: item).first
            let actualText = actual.map { $0.stringValue ?? JSONSerializer.string($0) }
            return (actualText == right) == (op == "==")
        }
        if condition.hasPrefix("@") { return !evaluate(String(condition.dropFirst()), on: item).isEmpty }
        return false
    }
}
