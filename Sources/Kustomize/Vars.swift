import KubeCore

/// One entry of a kustomization's deprecated `vars`: a name for a field of one resource, whose value replaces
/// `$(NAME)` in the var-reference fields of every resource at the end of the build.
struct Var: Sendable {
    var name: String
    var target: Target
    var fieldPath: String

    /// The resource a var names: its group, version and kind exactly, one of its names, and its namespace when
    /// given (or when the kind has none).
    struct Target: Sendable {
        var group: String
        var version: String
        var kind: String
        var name: String
        var namespace: String

        func matches(_ resource: Resource) -> Bool {
            let gvk = resource.gvk
            guard gvk.group == group, gvk.version == version, gvk.kind == kind, resource.allNames.contains(name)
            else { return false }
            let clusterScoped = ClusterScope.isClusterScoped(kind)
            guard !namespace.isEmpty || clusterScoped else { return true }
            if clusterScoped { return true }
            func effective(_ text: String) -> String { text == "default" ? "" : text }
            let wanted = effective(namespace)
            return effective(resource.namespace) == wanted
                || resource.previousNamespaces.contains { effective($0) == wanted }
        }
    }

    /// Reads a `vars` entry. Field names are matched without regard to case, as kustomize's JSON decoding does.
    static func parse(_ value: JSONValue, file: String) throws(KustomizeError) -> Var {
        func member(_ object: JSONValue?, _ key: String) -> JSONValue? {
            guard let members = object?.objectValue else { return nil }
            if let exact = members[key] { return exact }
            return members.first { $0.key.lowercased() == key.lowercased() }?.value
        }
        func text(_ object: JSONValue?, _ key: String) throws(KustomizeError) -> String {
            guard let found = member(object, key), !found.isNull else { return "" }
            guard let string = found.stringValue else {
                throw .invalidField(file: file, field: "vars.\(key)", detail: "expected a string")
            }
            return string
        }
        guard value.objectValue != nil else {
            throw .invalidField(file: file, field: "vars", detail: "each var needs a name and an objref")
        }
        let name = try text(value, "name")
        guard !name.isEmpty else {
            throw .invalidField(file: file, field: "vars.name", detail: "each var needs a name")
        }
        let reference = member(value, "objref")
        var group = try text(reference, "group")
        var version = try text(reference, "version")
        let apiVersion = try text(reference, "apiVersion")
        if !apiVersion.isEmpty {
            let parts = apiVersion.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            if parts.count == 2 {
                group = parts[0]
                version = parts[1]
            } else if parts.count == 1 {
                version = parts[0]
            }
        }
        let target = Target(
            group: group, version: version, kind: try text(reference, "kind"), name: try text(reference, "name"),
            namespace: try text(reference, "namespace"))
        let path = try text(member(value, "fieldref"), "fieldPath")
        return Var(name: name, target: target, fieldPath: path.isEmpty ? "metadata.name" : path)
    }

    /// The value of this var's field in the resource it was tied to.
    func value(in resources: [Resource]) throws(KustomizeError) -> JSONValue {
        guard let resource = resources.first(where: { $0.varNames.contains(name) }) else {
            throw .invalidField(
                file: "(vars)", field: "vars",
                detail: "var '\(name)' cannot be mapped to a field in the set of known resources; "
                    + "check its objref (apiVersion, kind, name)")
        }
        guard let found = FieldPath.get(Self.pathSegments(fieldPath), in: resource.object) else {
            throw .invalidField(
                file: resource.file, field: "vars",
                detail: "field '\(fieldPath)' of var '\(name)' not found in \(resource.id)")
        }
        return found
    }

    /// A var's field path split as kyaml splits it: at dots outside brackets, with `ports[0]` read as `ports.0`.
    static func pathSegments(_ path: String) -> [String] {
        var result: [String] = []
        for segment in FieldPath.parse(path) {
            guard segment.hasSuffix("]"), let open = segment.lastIndex(of: "["), open != segment.startIndex else {
                result.append(segment)
                continue
            }
            let index = segment[segment.index(after: open)..<segment.index(before: segment.endIndex)]
            if !index.isEmpty, index.allSatisfy(\.isASCII), index.allSatisfy(\.isNumber) {
                result.append(String(segment[..<open]))
                result.append(String(index))
            } else {
                result.append(segment)
            }
        }
        return result
    }
}

/// Replaces `$(NAME)` references with var values in the fields a var-reference spec selects, as kustomize's
/// refvar filter does: `$$` is a literal `$`, an unknown name is left as written, and a field that is exactly one
/// reference takes the value's type (a number stays a number).
struct VarReplacer {
    let values: [String: JSONValue]

    func apply(_ spec: FieldSpec, to resource: inout Resource) throws(KustomizeError) {
        var failure: KustomizeError?
        let file = resource.file
        let id = resource.id
        spec.visit(&resource.object, creating: false) { value in
            guard let current = value else { return }
            switch current {
            case .string(let text):
                value = replace(text)
            case .object(var map):
                for (key, member) in map {
                    if case .string(let text) = member { map[key] = replace(text) }
                }
                value = .object(map)
            case .array(var items):
                for index in items.indices {
                    guard case .string(let text) = items[index] else {
                        failure = .invalidField(
                            file: file, field: "vars",
                            detail: "\(id): '\(spec.pathText)' holds a list item that is not a string")
                        return
                    }
                    items[index] = replace(text)
                }
                value = .array(items)
            default:
                return
            }
        }
        if let failure { throw failure }
    }

    /// `text` with every reference replaced; the value itself when `text` is exactly one known reference.
    func replace(_ text: String) -> JSONValue {
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        var cursor = 0
        var checkpoint = 0
        while cursor < bytes.count {
            defer { cursor += 1 }
            guard bytes[cursor] == UInt8(ascii: "$"), cursor + 1 < bytes.count else { continue }
            output += bytes[checkpoint..<cursor]
            let next = bytes[cursor + 1]
            if next == UInt8(ascii: "$") {
                output.append(next)
                cursor += 1
            } else if next == UInt8(ascii: "("),
                let close = bytes[(cursor + 2)...].firstIndex(of: UInt8(ascii: ")"))
            {
                let name = String(decoding: bytes[(cursor + 2)..<close], as: UTF8.self)
                let mapped = lookup(name)
                if cursor == 0 && close == bytes.count - 1 { return mapped }
                output += Array(Self.text(of: mapped).utf8)
                cursor = close
            } else {
                output += [UInt8(ascii: "$"), next]
                cursor += 1
            }
            checkpoint = cursor + 1
        }
        output += bytes[min(checkpoint, bytes.count)...]
        return .string(String(decoding: output, as: UTF8.self))
    }

    private func lookup(_ name: String) -> JSONValue {
        switch values[name] {
        case .some(let value) where value.isScalarForVars: value
        default: .string("$(" + name + ")")
        }
    }

    /// A value as Go's `%v` prints it inside a string.
    static func text(of value: JSONValue) -> String {
        switch value {
        case .string(let text): text
        case .integer(let number): String(number)
        case .bool(let flag): flag ? "true" : "false"
        case .double(let number): GoFloat.shortestG(number)
        default: ""
        }
    }
}

extension JSONValue {
    /// Strings, numbers and booleans (kustomize leaves a reference to a map, list or null unreplaced).
    fileprivate var isScalarForVars: Bool {
        switch self {
        case .string, .integer, .double, .bool: true
        default: false
        }
    }
}

/// Go's `%v` formatting of a float64 (`strconv.FormatFloat(v, 'g', -1, 64)`).
enum GoFloat {
    static func shortestG(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value < 0 ? "-Inf" : "+Inf") }
        if value == 0 { return value.sign == .minus ? "-0" : "0" }
        // Swift's description gives the shortest digits that read back exactly, as Go's does.
        let exponentForm = String(describing: value).lowercased()
        var digits = ""
        var exponent = 0
        var mantissa = exponentForm
        if let e = exponentForm.firstIndex(of: "e") {
            mantissa = String(exponentForm[..<e])
            exponent = Int(exponentForm[exponentForm.index(after: e)...]) ?? 0
        }
        let negative = mantissa.hasPrefix("-")
        if negative { mantissa.removeFirst() }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let whole = String(parts[0])
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        digits = whole + fraction
        var pointPosition = whole.count + exponent
        while digits.hasPrefix("0") && digits.count > 1 {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.hasSuffix("0") && digits.count > 1 { digits.removeLast() }
        let decimalExponent = pointPosition - 1
        let sign = negative ? "-" : ""
        if decimalExponent < -4 || decimalExponent >= 6 {
            var text = String(digits.prefix(1))
            if digits.count > 1 { text += "." + digits.dropFirst() }
            let magnitude = abs(decimalExponent)
            return sign + text + "e" + (decimalExponent < 0 ? "-" : "+") + (magnitude < 10 ? "0" : "")
                + String(magnitude)
        }
        if pointPosition <= 0 {
            return sign + "0." + String(repeating: "0", count: -pointPosition) + digits
        }
        if pointPosition >= digits.count {
            return sign + digits + String(repeating: "0", count: pointPosition - digits.count)
        }
        let split = digits.index(digits.startIndex, offsetBy: pointPosition)
        return sign + digits[..<split] + "." + digits[split...]
    }
}
