import KubeCore
import YAMLGuard
import Yams

/// Reads YAML streams into `JSONValue` documents and writes them back in kustomize's layout.
public enum YAMLCodec {
    /// Parses every document of a YAML stream, skipping empty documents.
    ///
    /// - Parameters:
    ///   - text: The YAML text.
    ///   - file: The file name used in errors.
    ///   - maxNodes: The bound on nodes after alias expansion, across the stream.
    /// - Throws: `KustomizeError.malformedYAML` with the line, or `.yamlTooComplex`.
    public static func parseStream(_ text: String, file: String, maxNodes: Int = 1_000_000) throws(KustomizeError)
        -> [JSONValue]
    {
        var budget = maxNodes
        var documents: [JSONValue] = []
        do {
            // Hostile shapes (aliased or nested collection keys, alias bombs, deep nesting) are refused before Yams
            // composes the stream: its duplicate-key check hashes whole key trees.
            let nodes = try YAMLPreflight.check(text, limits: YAMLLimits(maxNodes: maxNodes))
            try BuildMeter.current?.charge(nodes: nodes, path: file)
            // Tags are resolved here (`ScalarKind`), not by Yams' regular-expression resolver: compiling those
            // expressions loads ICU, which costs more than a small build.
            let parser = try Parser(yaml: text, resolver: .basic)
            while let node = try parser.nextRoot() {
                let value = try convert(node, budget: &budget, depth: 0, file: file)
                if !value.isNull { documents.append(value) }
            }
        } catch let error as KustomizeError {
            throw error
        } catch let error as YAMLPreflightError {
            throw refusal(error, file: file)
        } catch let error as YamlError {
            throw describe(error, text: text, file: file)
        } catch {
            throw .malformedYAML(file: file, line: nil, detail: "unexpected YAML library error")
        }
        return documents
    }

    private static func refusal(_ error: YAMLPreflightError, file: String) -> KustomizeError {
        switch error {
        case .tooManyNodes, .tooDeep: .yamlTooComplex(file: file)
        case .collectionKey(let line):
            .malformedYAML(file: file, line: line, detail: "a mapping or sequence used as a mapping key is not supported")
        }
    }

    /// A parser error as (problem, file, line, column) only.
    ///
    /// Yams' own descriptions quote the text: the offending line for reader errors, the duplicated keys and the
    /// whole document for duplicate keys. After postBuild substitution that text holds Secret values, so none of it
    /// is ever copied: libyaml's problems are fixed phrases, and the rest is a position.
    static func describe(_ error: YamlError, text: String, file: String) -> KustomizeError {
        func at(_ line: Int?, _ column: Int?, _ problem: String) -> KustomizeError {
            .malformedYAML(file: file, line: line, detail: column.map { "\(problem) (column \($0))" } ?? problem)
        }
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return at(mark.line, mark.column, problem)
        case .reader(let problem, let offset, _, _):
            let place = offset.map { position(ofCharacter: $0, in: text) }
            return at(place?.line, place?.column, problem)
        case .duplicatedKeysInMapping(_, let context):
            return at(context.mark.line, context.mark.column, "duplicate key in a mapping")
        case .dataCouldNotBeDecoded:
            return at(nil, nil, "the text is not valid UTF-8")
        case .memory:
            return at(nil, nil, "out of memory while parsing")
        case .no, .writer, .emitter, .representer:
            return at(nil, nil, "unexpected YAML library error")
        }
    }

    /// The 1-based line and column (in Unicode scalars, as libyaml counts) of the `offset`-th character.
    private static func position(ofCharacter offset: Int, in text: String) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for character in text.prefix(max(0, offset)) {
            if character == "\n" || character == "\r\n" {
                line += 1
                column = 1
            } else {
                column += character.unicodeScalars.count
            }
        }
        return (line, column)
    }

    private static func convert(_ node: Node, budget: inout Int, depth: Int, file: String) throws(KustomizeError)
        -> JSONValue
    {
        budget -= 1
        if budget < 0 || depth > 256 { throw .yamlTooComplex(file: file) }
        switch node {
        case .scalar(let scalar):
            return convertScalar(scalar)
        case .sequence(let sequence):
            var items: [JSONValue] = []
            for child in sequence { items.append(try convert(child, budget: &budget, depth: depth + 1, file: file)) }
            return .array(items)
        case .mapping(let mapping):
            var object = JSONObject()
            for (key, value) in mapping {
                let keyText: String
                if let scalar = key.scalar {
                    keyText = scalar.string
                } else {
                    keyText = JSONSerializer.string(try convert(key, budget: &budget, depth: depth + 1, file: file))
                }
                object[keyText] = try convert(value, budget: &budget, depth: depth + 1, file: file)
            }
            return .object(object)
        case .alias(let alias):
            throw .malformedYAML(file: file, line: alias.mark?.line, detail: "unresolved alias")
        }
    }

    private static func convertScalar(_ scalar: Node.Scalar) -> JSONValue {
        if scalar.style != .plain && scalar.style != .any { return .string(scalar.string) }
        // The stored tag is still unresolved: `.implicit` for an untagged plain scalar, else the explicit tag.
        let name = Tag.Name(rawValue: scalar.tag.rawValue)
        let kind: ScalarKind
        switch name {
        case Tag.Name.implicit: kind = ScalarKind(plain: scalar.string)
        case Tag.Name.null: kind = .null
        case Tag.Name.bool: kind = .bool
        case Tag.Name.int: kind = .int
        case Tag.Name.float: kind = .float
        default: kind = .string
        }
        switch kind {
        case .null: return .null
        case .bool: return Bool.construct(from: scalar).map(JSONValue.bool) ?? .string(scalar.string)
        case .int:
            // kustomize (go-yaml) reads base-60 numbers such as 12:30:00 as strings.
            if scalar.string.utf8.contains(UInt8(ascii: ":")) { return .string(scalar.string) }
            if let value = Int.construct(from: scalar) { return .integer(Int64(value)) }
            if let value = Int64(scalar.string.filter { $0 != "_" }) { return .integer(value) }
            return .string(scalar.string)
        case .float:
            if scalar.string.utf8.contains(UInt8(ascii: ":")) { return .string(scalar.string) }
            if let value = Double.construct(from: scalar), value.isFinite { return .double(value) }
            return .string(scalar.string)
        case .string: return .string(scalar.string)
        }
    }
}

/// The type of a plain scalar, by the rules of Yams' default resolver with YAML 1.2 booleans (as kustomize's
/// go-yaml v3 reads them: `yes`, `on` stay strings), written out by hand instead of as regular expressions.
/// Values that would resolve to int or float but contain `:` (base 60), and `.inf`/`.nan`, end up strings anyway.
enum ScalarKind: Equatable {
    case null, bool, int, float, string

    init(plain text: String) {
        switch text {
        case "", "~", "null", "Null", "NULL": self = .null
        case "true", "True", "TRUE", "false", "False", "FALSE": self = .bool
        default:
            let bytes = Array(text.utf8)
            if Self.isInt(bytes) {
                self = .int
            } else if Self.isFloat(bytes) {
                self = .float
            } else {
                self = .string
            }
        }
    }

    private static func isDigit(_ byte: UInt8, below limit: UInt8 = 10) -> Bool {
        byte >= UInt8(ascii: "0") && byte < UInt8(ascii: "0") + limit
    }

    private static let underscore = UInt8(ascii: "_")

    /// `[-+]?(0b[01_]+ | 0o?[0-7_]+ | 0 | [1-9][0-9_]* | 0x[0-9a-fA-F_]+)`; the base-60 form is left out (it has `:`).
    static func isInt(_ bytes: [UInt8]) -> Bool {
        var rest = bytes[...]
        if let first = rest.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") { rest = rest.dropFirst() }
        guard let first = rest.first else { return false }
        func all(_ tail: ArraySlice<UInt8>, _ allowed: (UInt8) -> Bool) -> Bool {
            !tail.isEmpty && tail.allSatisfy { $0 == underscore || allowed($0) }
        }
        if first == UInt8(ascii: "0") {
            let tail = rest.dropFirst()
            if tail.isEmpty { return true }
            switch tail.first {
            case UInt8(ascii: "b"): return all(tail.dropFirst()) { isDigit($0, below: 2) }
            case UInt8(ascii: "x"):
                return all(tail.dropFirst()) {
                    isDigit($0) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f"))
                        || ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "F"))
                }
            case UInt8(ascii: "o"): return all(tail.dropFirst()) { isDigit($0, below: 8) }
            default: return all(tail) { isDigit($0, below: 8) }
            }
        }
        guard isDigit(first) else { return false }
        return rest.dropFirst().allSatisfy { $0 == underscore || isDigit($0) }
    }

    /// `[-+]?[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?` or `\.[0-9_]+([eE][-+][0-9]+)?`.
    static func isFloat(_ bytes: [UInt8]) -> Bool {
        var rest = bytes[...]
        func exponent(_ tail: ArraySlice<UInt8>, signRequired: Bool) -> Bool {
            guard let e = tail.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") else { return false }
            var digits = tail.dropFirst()
            if let sign = digits.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
                digits = digits.dropFirst()
            } else if signRequired {
                return false
            }
            return !digits.isEmpty && digits.allSatisfy { isDigit($0) }
        }
        if rest.first == UInt8(ascii: ".") {
            let fraction = rest.dropFirst().prefix { $0 == underscore || isDigit($0) }
            guard !fraction.isEmpty else { return false }
            let tail = rest.dropFirst(1 + fraction.count)
            return tail.isEmpty || exponent(tail, signRequired: true)
        }
        if let first = rest.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") { rest = rest.dropFirst() }
        guard let first = rest.first, isDigit(first) else { return false }
        rest = rest.dropFirst().drop { $0 == underscore || isDigit($0) }
        if rest.first == UInt8(ascii: ".") {
            rest = rest.dropFirst().drop { $0 == underscore || isDigit($0) }
        }
        return rest.isEmpty || exponent(rest, signRequired: false)
    }
}
