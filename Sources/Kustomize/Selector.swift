import Foundation
import KubeCore

/// A patch or replacement target: group, version, kind, name and namespace (anchored regular expressions)
/// and label and annotation selectors.
struct Selector {
    var group: String?
    var version: String?
    var kind: String?
    var name: String?
    var namespace: String?
    var labelSelector: String?
    var annotationSelector: String?

    init(_ value: JSONValue?) {
        group = value?["group"]?.stringValue
        version = value?["version"]?.stringValue
        kind = value?["kind"]?.stringValue
        name = value?["name"]?.stringValue
        namespace = value?["namespace"]?.stringValue
        labelSelector = value?["labelSelector"]?.stringValue
        annotationSelector = value?["annotationSelector"]?.stringValue
    }

    func matches(_ resource: Resource) -> Bool {
        let gvk = resource.gvk
        if let group, !Self.regex(group, gvk.group) { return false }
        if let version, !Self.regex(version, gvk.version) { return false }
        if let kind, !Self.regex(kind, gvk.kind) { return false }
        if let name, !resource.allNames.contains(where: { Self.regex(name, $0) }) { return false }
        if let namespace, !Self.regex(namespace, resource.namespace) { return false }
        if let labelSelector,
            !Self.selects(labelSelector, resource.object[path: ["metadata", "labels"]]?.objectValue ?? JSONObject())
        {
            return false
        }
        if let annotationSelector,
            !Self.selects(
                annotationSelector, resource.object[path: ["metadata", "annotations"]]?.objectValue ?? JSONObject())
        {
            return false
        }
        return true
    }

    static func regex(_ pattern: String, _ value: String) -> Bool {
        if pattern == value { return true }
        guard let expression = try? NSRegularExpression(pattern: "^(?:" + pattern + ")$") else { return false }
        let range = NSRange(value.startIndex..., in: value)
        return expression.firstMatch(in: value, range: range) != nil
    }

    /// Evaluates a Kubernetes label selector (`a=b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x)`).
    static func selects(_ selector: String, _ labels: JSONObject) -> Bool {
        for requirement in splitRequirements(selector) {
            let text = requirement.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            let value: (String) -> String? = { labels[$0].map(ContentHash.scalarText) }
            if let range = text.range(of: " notin ") ?? text.range(of: " in ") {
                let key = text[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                let set = text[range.upperBound...].trimmingCharacters(in: CharacterSet(charactersIn: "() "))
                    .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                let isIn = text[range].contains(" in ")
                let current = value(key)
                if isIn {
                    if current == nil || !set.contains(current ?? "") { return false }
                } else if let current, set.contains(current) {
                    return false
                }
            } else if let range = text.range(of: "!=") {
                let key = text[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                if value(key) == text[range.upperBound...].trimmingCharacters(in: .whitespaces) { return false }
            } else if let range = text.range(of: "==") ?? text.range(of: "=") {
                let key = text[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                if value(key) != text[range.upperBound...].trimmingCharacters(in: .whitespaces) { return false }
            } else if text.hasPrefix("!") {
                if value(String(text.dropFirst()).trimmingCharacters(in: .whitespaces)) != nil { return false }
            } else if value(text) == nil {
                return false
            }
        }
        return true
    }

    private static func splitRequirements(_ selector: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        for character in selector {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if character == "," && depth == 0 {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        return parts
    }
}
