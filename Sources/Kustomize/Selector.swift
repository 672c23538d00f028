import Foundation
import KubeCore

/// A patch or replacement target: group, version, kind, name and namespace (anchored regular expressions)
/// and label and annotation selectors.
struct Selector {
    var group: Pattern?
    var version: Pattern?
    var kind: Pattern?
    var name: Pattern?
    var namespace: Pattern?
    var labelSelector: [Requirement]?
    var annotationSelector: [Requirement]?

    init(_ value: JSONValue?) {
        group = value?["group"]?.stringValue.map(Pattern.init)
        version = value?["version"]?.stringValue.map(Pattern.init)
        kind = value?["kind"]?.stringValue.map(Pattern.init)
        name = value?["name"]?.stringValue.map(Pattern.init)
        namespace = value?["namespace"]?.stringValue.map(Pattern.init)
        labelSelector = value?["labelSelector"]?.stringValue.map(Self.requirements)
        annotationSelector = value?["annotationSelector"]?.stringValue.map(Self.requirements)
    }

    /// An anchored regular expression in Go's syntax, compiled once and matched in linear time
    /// (``LinearRegex``); plain names (the common case) are compared as text.
    struct Pattern {
        let text: String
        let expression: LinearRegex?
        let isLiteral: Bool

        init(_ text: String) {
            self.text = text
            let special = Set("\\^$.|?*+()[]{}".utf8)
            isLiteral = !text.utf8.contains { special.contains($0) }
            expression = isLiteral ? nil : try? LinearRegex(wholeMatch: text)
        }

        func matches(_ value: String) -> Bool {
            if value == text { return true }
            guard !isLiteral, let expression else { return false }
            // Past the build's time limit a match gives up; the build's next check then stops it.
            return expression.matches(value) { BuildMeter.current?.isOverTime ?? false }
        }
    }

    func matches(_ resource: Resource) -> Bool {
        let gvk = resource.gvk
        if let group, !group.matches(gvk.group) { return false }
        if let version, !version.matches(gvk.version) { return false }
        if let kind, !kind.matches(gvk.kind) { return false }
        if let name, !resource.allNames.contains(where: { name.matches($0) }) { return false }
        if let namespace, !namespace.matches(resource.namespace) { return false }
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

    /// One requirement of a Kubernetes label selector (`a=b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x)`).
    enum Requirement: Equatable {
        case equals(String, String)
        case notEquals(String, String)
        case exists(String)
        case absent(String)
        case isIn(String, [String])
        case notIn(String, [String])
    }

    /// Parses a selector once; it is then evaluated for every resource.
    static func requirements(_ selector: String) -> [Requirement] {
        var result: [Requirement] = []
        for requirement in splitRequirements(selector) {
            let text = requirement.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            if let range = text.range(of: " notin ") ?? text.range(of: " in ") {
                let key = text[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                let set = text[range.upperBound...].trimmingCharacters(in: CharacterSet(charactersIn: "() "))
                    .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                result.append(text[range].contains(" in ") ? .isIn(key, set) : .notIn(key, set))
            } else if let range = text.range(of: "!=") {
                let key = text[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                result.append(.notEquals(key, text[range.upperBound...].trimmingCharacters(in: .whitespaces)))
            } else if let range = text.range(of: "==") ?? text.range(of: "=") {
                let key = text[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                result.append(.equals(key, text[range.upperBound...].trimmingCharacters(in: .whitespaces)))
            } else if text.hasPrefix("!") {
                result.append(.absent(String(text.dropFirst()).trimmingCharacters(in: .whitespaces)))
            } else {
                result.append(.exists(text))
            }
        }
        return result
    }

    /// Evaluates parsed requirements against a label (or annotation) map.
    static func selects(_ requirements: [Requirement], _ labels: JSONObject) -> Bool {
        let value: (String) -> String? = { labels[$0].map(ContentHash.scalarText) }
        for requirement in requirements {
            switch requirement {
            case .equals(let key, let expected): if value(key) != expected { return false }
            case .notEquals(let key, let unwanted): if value(key) == unwanted { return false }
            case .exists(let key): if value(key) == nil { return false }
            case .absent(let key): if value(key) != nil { return false }
            case .isIn(let key, let set):
                guard let current = value(key), set.contains(current) else { return false }
            case .notIn(let key, let set):
                if let current = value(key), set.contains(current) { return false }
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
