import Foundation
import KubeCore

/// A parsed label selector (`a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`).
struct LabelSelector: Sendable {
    enum Requirement: Sendable {
        case equals(String, String)
        case notEquals(String, String)
        case isIn(String, Set<String>)
        case notIn(String, Set<String>)
        case exists(String)
        case doesNotExist(String)
    }

    var requirements: [Requirement]

    /// Parses the `labelSelector` query parameter.
    init(parsing text: String) throws(APIError) {
        requirements = []
        for part in Self.splitTopLevel(text) {
            let term = part.trimmingCharacters(in: .whitespaces)
            if term.isEmpty { continue }
            requirements.append(try Self.parseTerm(term))
        }
    }

    private static func splitTopLevel(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if character == ",", depth == 0 {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        return parts
    }

    private static func parseTerm(_ term: String) throws(APIError) -> Requirement {
        if term.hasPrefix("!") { return .doesNotExist(String(term.dropFirst()).trimmingCharacters(in: .whitespaces)) }
        for (op, make) in [("!=", Requirement.notEquals), ("==", Requirement.equals), ("=", Requirement.equals)] {
            if let range = term.range(of: op) {
                let key = term[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                let value = term[range.upperBound...].trimmingCharacters(in: .whitespaces)
                guard !key.isEmpty else {
                    throw .badRequest("unable to parse requirement: found '\(op)', expected: identifier")
                }
                return make(key, value)
            }
        }
        let words = term.split(separator: " ", maxSplits: 1).map(String.init)
        if words.count == 2 {
            let rest = words[1].trimmingCharacters(in: .whitespaces)
            for (op, isIn) in [("notin", false), ("in", true)] where rest.hasPrefix(op) {
                let list = rest.dropFirst(op.count).trimmingCharacters(in: .whitespaces)
                guard list.hasPrefix("("), list.hasSuffix(")") else {
                    throw .badRequest("unable to parse requirement: found '\(list)', expected: '('")
                }
                let values = Set(
                    list.dropFirst().dropLast().split(separator: ",").map {
                        $0.trimmingCharacters(in: .whitespaces)
                    })
                return isIn ? .isIn(words[0], values) : .notIn(words[0], values)
            }
            throw .badRequest("unable to parse requirement: found '\(rest)', expected: in, notin, =, ==, !=")
        }
        return .exists(term)
    }

    func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { requirement in
            switch requirement {
            case .equals(let key, let value): return labels[key] == value
            case .notEquals(let key, let value): return labels[key] != value
            case .isIn(let key, let values): return labels[key].map { values.contains($0) } ?? false
            case .notIn(let key, let values): return labels[key].map { !values.contains($0) } ?? true
            case .exists(let key): return labels[key] != nil
            case .doesNotExist(let key): return labels[key] == nil
            }
        }
    }
}

/// A parsed field selector; only `metadata.name` and `metadata.namespace` are supported, as for most kinds.
struct FieldSelector: Sendable {
    var requirements: [(field: String, value: String, equal: Bool)]

    init(parsing text: String) throws(APIError) {
        requirements = []
        for term in text.split(separator: ",") {
            let term = String(term)
            let equal = !term.contains("!=")
            let parts = term.components(separatedBy: equal ? (term.contains("==") ? "==" : "=") : "!=")
            guard parts.count == 2 else { throw .badRequest("invalid field selector: '\(term)'") }
            let field = parts[0].trimmingCharacters(in: .whitespaces)
            guard field == "metadata.name" || field == "metadata.namespace" else {
                throw .badRequest("field label not supported: \(field)")
            }
            requirements.append((field, parts[1].trimmingCharacters(in: .whitespaces), equal))
        }
    }

    func matches(_ object: JSONValue) -> Bool {
        requirements.allSatisfy { requirement in
            let actual = requirement.field == "metadata.name" ? ObjectMeta.name(object) : ObjectMeta.namespace(object)
            return (actual == requirement.value) == requirement.equal
        }
    }
}

/// The filters of a list or watch request.
struct ObjectFilter: Sendable {
    var labels: LabelSelector?
    var fields: FieldSelector?

    func matches(_ object: JSONValue) -> Bool {
        (labels?.matches(ObjectMeta.labels(object)) ?? true) && (fields?.matches(object) ?? true)
    }
}
