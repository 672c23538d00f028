/// A label selector: a conjunction of requirements, parsed from the string form used in
/// `?labelSelector=` (`app=web,tier!=db,env in (prod,staging),!legacy`) or built from a `LabelSelector`
/// object (`matchLabels` / `matchExpressions`).
public struct LabelSelector: Sendable, Hashable, CustomStringConvertible {
    /// One requirement on one key.
    public enum Requirement: Sendable, Hashable, CustomStringConvertible {
        case equals(String, String)
        case notEquals(String, String)
        case `in`(String, [String])
        case notIn(String, [String])
        case exists(String)
        case doesNotExist(String)

        /// The label key the requirement is about.
        public var key: String {
            switch self {
            case .equals(let key, _), .notEquals(let key, _), .in(let key, _), .notIn(let key, _), .exists(let key),
                .doesNotExist(let key):
                key
            }
        }

        /// Whether a set of labels satisfies the requirement (Kubernetes semantics: `!=` and `notin` match
        /// objects without the key).
        public func matches(_ labels: [String: String]) -> Bool {
            switch self {
            case .equals(let key, let value): labels[key] == value
            case .notEquals(let key, let value): labels[key] != value
            case .in(let key, let values): labels[key].map { values.contains($0) } ?? false
            case .notIn(let key, let values): labels[key].map { !values.contains($0) } ?? true
            case .exists(let key): labels[key] != nil
            case .doesNotExist(let key): labels[key] == nil
            }
        }

        public var description: String {
            switch self {
            case .equals(let key, let value): "\(key)=\(value)"
            case .notEquals(let key, let value): "\(key)!=\(value)"
            case .in(let key, let values): "\(key) in (\(values.joined(separator: ",")))"
            case .notIn(let key, let values): "\(key) notin (\(values.joined(separator: ",")))"
            case .exists(let key): key
            case .doesNotExist(let key): "!\(key)"
            }
        }
    }

    /// The requirements; all must hold. Empty matches everything.
    public var requirements: [Requirement]

    public init(_ requirements: [Requirement] = []) {
        self.requirements = requirements
    }

    /// A selector requiring each of these labels to equal its value.
    public init(matchLabels: [String: String]) {
        self.init(matchLabels.sorted { $0.key < $1.key }.map { .equals($0.key, $0.value) })
    }

    /// Parses the string form.
    public init(parsing text: String) throws(SelectorError) {
        var parser = SelectorScanner(text)
        var requirements: [Requirement] = []
        parser.skipSpaces()
        while !parser.atEnd {
            requirements.append(try parser.requirement())
            parser.skipSpaces()
            if parser.atEnd { break }
            guard parser.consume(",") else { throw .unexpected(parser.rest, in: text) }
            parser.skipSpaces()
            if parser.atEnd { throw .unexpected("end", in: text) }
        }
        self.init(requirements)
    }

    /// Builds a selector from a `metav1.LabelSelector` object (`matchLabels`, `matchExpressions`).
    public init(json: JSONValue) throws(SelectorError) {
        var requirements: [Requirement] = []
        for (key, value) in json["matchLabels"]?.objectValue ?? JSONObject() {
            guard let value = value.stringValue else { throw .invalidValue(key) }
            requirements.append(.equals(key, value))
        }
        for expression in json["matchExpressions"]?.arrayValue ?? [] {
            guard let key = expression["key"]?.stringValue, let op = expression["operator"]?.stringValue else {
                throw .invalidExpression("matchExpressions entry needs key and operator")
            }
            let values = (expression["values"]?.arrayValue ?? []).compactMap(\.stringValue)
            switch op {
            case "In": requirements.append(.in(key, values))
            case "NotIn": requirements.append(.notIn(key, values))
            case "Exists": requirements.append(.exists(key))
            case "DoesNotExist": requirements.append(.doesNotExist(key))
            default: throw .invalidExpression("unknown operator \(op.prefix(40))")
            }
        }
        self.init(requirements)
    }

    /// Whether the labels satisfy every requirement.
    public func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { $0.matches(labels) }
    }

    /// Whether an object's `metadata.labels` satisfy every requirement.
    public func matches(object: JSONValue) -> Bool {
        matches(object.kube.labels)
    }

    /// Whether the selector matches everything.
    public var isEmpty: Bool { requirements.isEmpty }

    /// The string form, suitable for `?labelSelector=`.
    public var description: String { requirements.map(\.description).joined(separator: ",") }
}

/// A field selector: `metadata.name=foo,status.phase!=Running`. Only `=`, `==` and `!=` exist.
public struct FieldSelector: Sendable, Hashable, CustomStringConvertible {
    /// One requirement: a dotted field path, whether it must equal (`true`) or differ, and the value.
    public struct Requirement: Sendable, Hashable {
        public var field: String
        public var equals: Bool
        public var value: String

        public init(field: String, equals: Bool, value: String) {
            self.field = field
            self.equals = equals
            self.value = value
        }
    }

    public var requirements: [Requirement]

    public init(_ requirements: [Requirement] = []) {
        self.requirements = requirements
    }

    /// Parses `a=b,c!=d`.
    public init(parsing text: String) throws(SelectorError) {
        var requirements: [Requirement] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: true) {
            let term = part.trimmingSpaces
            if let range = term.firstRange(of: "!=") {
                requirements.append(Requirement(field: String(term[..<range.lowerBound]).trimmingSpaces, equals: false, value: String(term[range.upperBound...]).trimmingSpaces))
            } else if let range = term.firstRange(of: "==") ?? term.firstRange(of: "=") {
                requirements.append(Requirement(field: String(term[..<range.lowerBound]).trimmingSpaces, equals: true, value: String(term[range.upperBound...]).trimmingSpaces))
            } else {
                throw .invalidExpression("field selector term \"\(term.prefix(60))\" needs =, == or !=")
            }
            if requirements.last?.field.isEmpty == true { throw .invalidExpression("field selector term has an empty field") }
        }
        self.init(requirements)
    }

    /// Whether the object satisfies every requirement; a missing field compares as the empty string.
    public func matches(object: JSONValue) -> Bool {
        requirements.allSatisfy { requirement in
            let path = requirement.field.split(separator: ".").map(String.init)
            let actual: String
            switch object[path: path] {
            case .string(let string)?: actual = string
            case .integer(let int)?: actual = String(int)
            case .bool(let bool)?: actual = String(bool)
            default: actual = ""
            }
            return (actual == requirement.value) == requirement.equals
        }
    }

    public var description: String {
        requirements.map { "\($0.field)\($0.equals ? "=" : "!=")\($0.value)" }.joined(separator: ",")
    }
}

/// Why a label or field selector could not be parsed.
public enum SelectorError: Error, Sendable, Hashable {
    case unexpected(String, in: String)
    case invalidValue(String)
    case invalidExpression(String)

    /// Bounded CamelCase reason.
    public var reason: String {
        switch self {
        case .unexpected: "SelectorUnexpectedToken"
        case .invalidValue: "SelectorInvalidValue"
        case .invalidExpression: "SelectorInvalidExpression"
        }
    }

    /// Human-readable message.
    public var message: String {
        switch self {
        case .unexpected(let token, let text): "unexpected \"\(token.prefix(40))\" in selector \"\(text.prefix(200))\""
        case .invalidValue(let key): "selector value for key \"\(key.prefix(100))\" must be a string"
        case .invalidExpression(let detail): "invalid selector: \(detail)"
        }
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}

/// A tiny scanner for the label selector grammar.
private struct SelectorScanner {
    let text: String
    var characters: [Character]
    var position = 0

    init(_ text: String) {
        self.text = text
        characters = Array(text)
    }

    var atEnd: Bool { position >= characters.count }
    var rest: String { String(characters[position...]) }

    mutating func skipSpaces() {
        while !atEnd, characters[position] == " " { position += 1 }
    }

    mutating func consume(_ literal: String) -> Bool {
        let literal = Array(literal)
        guard position + literal.count <= characters.count,
            Array(characters[position..<position + literal.count]) == literal
        else { return false }
        position += literal.count
        return true
    }

    static func isNameCharacter(_ character: Character) -> Bool {
        character.isLetter || character.isNumber || "-_./".contains(character)
    }

    mutating func name() -> String {
        let start = position
        while !atEnd, Self.isNameCharacter(characters[position]) { position += 1 }
        return String(characters[start..<position])
    }

    mutating func requirement() throws(SelectorError) -> LabelSelector.Requirement {
        if consume("!") {
            skipSpaces()
            let key = name()
            guard !key.isEmpty else { throw .unexpected(atEnd ? "end" : rest, in: text) }
            return .doesNotExist(key)
        }
        let key = name()
        guard !key.isEmpty else { throw .unexpected(atEnd ? "end" : rest, in: text) }
        skipSpaces()
        if atEnd || characters[position] == "," { return .exists(key) }
        if consume("!=") { return .notEquals(key, try value()) }
        if consume("==") || consume("=") { return .equals(key, try value()) }
        if consume("notin") { return .notIn(key, try valueSet()) }
        if consume("in") { return .in(key, try valueSet()) }
        throw .unexpected(rest, in: text)
    }

    mutating func value() throws(SelectorError) -> String {
        skipSpaces()
        return name()
    }

    mutating func valueSet() throws(SelectorError) -> [String] {
        skipSpaces()
        guard consume("(") else { throw .unexpected(atEnd ? "end" : rest, in: text) }
        var values: [String] = []
        while true {
            skipSpaces()
            let value = name()
            skipSpaces()
            values.append(value)
            if consume(")") { break }
            guard consume(",") else { throw .unexpected(atEnd ? "end" : rest, in: text) }
        }
        return values
    }
}
