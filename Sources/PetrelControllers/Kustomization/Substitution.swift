import KubeCore
import Kustomize
import PetrelAPI

/// Flux's postBuild variable substitution (`fluxcd/pkg/kustomize/kustomize_varsub.go` over its envsubst fork),
/// with strict mode on, as in kustomize-controller v1.9.
///
/// Rules:
/// - Only braced forms substitute: `${var}`; a plain `$var` is left alone.
/// - `$$` renders `$`, so `$${var}` renders the literal `${var}`.
/// - `${var:-default}` / `${var:=default}` use the default when `var` is unset or empty; `${var-default}` /
///   `${var=default}` only when unset. Defaults may themselves hold `${…}`.
/// - `${#var}` (length), `${var^}`, `${var^^}`, `${var,}`, `${var,,}` (case changes) are supported too.
/// - Strict: an unset variable without a default fails ("variable not set (strict mode)").
/// - Variable names match `^[_[:alpha:]][_[:alpha:][:digit:]]*$`; values have their newlines removed.
package enum Substitution {
    /// An error in one piece of text.
    package struct Failure: Error, Sendable, Equatable {
        /// What went wrong, e.g. `variable 'x' not set (strict mode)`.
        package var detail: String
    }

    /// Whether `name` is a valid variable name.
    package static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || isAlpha(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || isAlpha($0) || ("0"..."9").contains($0) }
    }

    private static func isAlpha(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }

    /// Substitutes the variables in `text`.
    ///
    /// - Throws: ``Failure`` for an unset variable without default, a bad name or an unterminated `${`.
    package static func substitute(_ text: String, variables: [String: String]) throws(Failure) -> String {
        var scanner = Scanner(Array(text.unicodeScalars))
        return try scanner.expand(variables: variables, untilBrace: false)
    }

    /// Substitutes every object that does not opt out with `kustomize.petrel.dev/substitute: disabled`.
    ///
    /// Each object is rendered to YAML, substituted and parsed back, as Flux does, so `replicas: ${count}` with
    /// `count=3` becomes the integer 3. With no variables at all nothing is substituted (Flux's default
    /// `WithVariables` strategy).
    ///
    /// - Throws: ``KustomizationError/buildFailed(_:)`` naming the object.
    package static func apply(to objects: [JSONValue], variables: [String: String]) throws(KustomizationError)
        -> [JSONValue]
    {
        guard !variables.isEmpty else { return objects }
        for name in variables.keys.sorted() where !isValidName(name) {
            throw .buildFailed(
                "postBuild: '\(name)' var name is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$'")
        }
        let cleaned = variables.mapValues { $0.filter { $0 != "\n" && $0 != "\r\n" && $0 != "\r" } }
        var result: [JSONValue] = []
        for object in objects {
            if isDisabled(object) {
                result.append(object)
                continue
            }
            let id = describe(object)
            let yaml = YAMLWriter.document(object)
            let substituted: String
            do { substituted = try substitute(yaml, variables: cleaned) } catch {
                throw .buildFailed("postBuild substitution of \(id) failed: \(error.detail)")
            }
            if substituted == yaml {
                result.append(object)
                continue
            }
            do {
                let parsed = try YAMLCodec.parseStream(substituted, file: id)
                guard parsed.count == 1, let first = parsed.first else {
                    throw KustomizeError.malformedYAML(
                        file: id, line: nil, detail: "substitution produced \(parsed.count) documents")
                }
                result.append(first)
            } catch {
                throw .buildFailed("postBuild substitution of \(id) produced invalid YAML: \(error)")
            }
        }
        return result
    }

    /// Whether the object opts out of substitution by label or annotation.
    static func isDisabled(_ object: JSONValue) -> Bool {
        for field in ["labels", "annotations"]
        where object[path: ["metadata", field, WellKnown.substituteKey]]?.stringValue?.lowercased()
            == WellKnown.disabledValue
        {
            return true
        }
        return false
    }

    static func describe(_ object: JSONValue) -> String {
        let kind = object["kind"]?.stringValue ?? "?"
        let name = object[path: ["metadata", "name"]]?.stringValue ?? "?"
        if let namespace = object[path: ["metadata", "namespace"]]?.stringValue, !namespace.isEmpty {
            return "\(kind)/\(namespace)/\(name)"
        }
        return "\(kind)/\(name)"
    }
}

/// A one-pass expander over Unicode scalars.
private struct Scanner {
    let scalars: [Unicode.Scalar]
    var index = 0

    init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

    func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        index + offset < scalars.count ? scalars[index + offset] : nil
    }

    /// Expands until the end (or, inside a default, until its closing brace, which is consumed).
    mutating func expand(variables: [String: String], untilBrace: Bool) throws(Substitution.Failure) -> String {
        var output = String.UnicodeScalarView()
        var depth = 0
        while let scalar = peek() {
            if scalar == "$", peek(1) == "$" {
                output.append("$")
                index += 2
                if peek() == "{" {
                    // `$${…}` is literal text: copy through the matching brace.
                    output.append(contentsOf: try literalBraces().unicodeScalars)
                }
                continue
            }
            if scalar == "$", peek(1) == "{" {
                index += 2
                output.append(contentsOf: try expression(variables: variables).unicodeScalars)
                continue
            }
            if untilBrace {
                if scalar == "{" { depth += 1 }
                if scalar == "}" {
                    if depth == 0 {
                        index += 1
                        return String(output)
                    }
                    depth -= 1
                }
            }
            output.append(scalar)
            index += 1
        }
        if untilBrace { throw Substitution.Failure(detail: "unterminated '${' in a default value") }
        return String(output)
    }

    private mutating func literalBraces() throws(Substitution.Failure) -> String {
        var text = String.UnicodeScalarView()
        var depth = 0
        while let scalar = peek() {
            text.append(scalar)
            index += 1
            if scalar == "{" { depth += 1 }
            if scalar == "}" {
                depth -= 1
                if depth == 0 { return String(text) }
            }
        }
        return String(text)
    }

    /// Parses after `${` through the closing `}`.
    private mutating func expression(variables: [String: String]) throws(Substitution.Failure) -> String {
        let start = index
        var lengthOf = false
        if peek() == "#" {
            lengthOf = true
            index += 1
        }
        var name = String.UnicodeScalarView()
        while let scalar = peek(), scalar == "_" || scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
            name.append(scalar)
            index += 1
        }
        let variable = String(name)
        guard Substitution.isValidName(variable) else {
            let rest = String(String.UnicodeScalarView(scalars[start..<min(scalars.count, start + 40)]))
            throw Substitution.Failure(detail: "bad substitution '${\(rest)': invalid variable name")
        }
        let value = variables[variable]
        if lengthOf {
            try expect("}", after: variable)
            guard let value else { throw unset(variable) }
            return String(value.count)
        }
        guard let next = peek() else {
            throw Substitution.Failure(detail: "unsupported or unterminated substitution '${\(variable)'")
        }
        switch next {
        case "}":
            index += 1
            guard let value else { throw unset(variable) }
            return value
        case ":" where peek(1) == "-" || peek(1) == "=":
            index += 2
            let fallback = try expand(variables: variables, untilBrace: true)
            if let value, !value.isEmpty { return value }
            return fallback
        case "-", "=":
            index += 1
            let fallback = try expand(variables: variables, untilBrace: true)
            return value ?? fallback
        case "^", ",":
            let upper = next == "^"
            let all = peek(1) == next
            index += all ? 2 : 1
            try expect("}", after: variable)
            guard let value else { throw unset(variable) }
            if all { return upper ? value.uppercased() : value.lowercased() }
            guard let first = value.first else { return value }
            let head = upper ? String(first).uppercased() : String(first).lowercased()
            return head + value.dropFirst()
        default:
            let rest = String(String.UnicodeScalarView(scalars[start..<min(scalars.count, start + 40)]))
            throw Substitution.Failure(detail: "unsupported or unterminated substitution '${\(rest)'")
        }
    }

    private mutating func expect(_ scalar: Unicode.Scalar, after variable: String) throws(Substitution.Failure) {
        guard peek() == scalar else {
            throw Substitution.Failure(detail: "expected '\(scalar)' after '${\(variable)'")
        }
        index += 1
    }

    private func unset(_ variable: String) -> Substitution.Failure {
        Substitution.Failure(detail: "variable '\(variable)' not set (strict mode)")
    }
}
