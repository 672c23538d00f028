import KubeCore
import Yams

/// Converts YAML text (a kubeconfig) to ``JSONValue`` with YAML 1.1/1.2 core-schema scalars.
enum YAMLValue {
    static func parse(_ text: String) throws(KubeClientError) -> JSONValue {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch { throw .configuration("invalid YAML\(position(of: error))") }
        guard let node else { return .null }
        return convert(node)
    }

    /// Where the parser stopped, never what it read: Yams' descriptions quote the offending line, which in a
    /// kubeconfig may hold a token or a key.
    private static func position(of error: any Error) -> String {
        switch error as? YamlError {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            " at line \(mark.line), column \(mark.column): \(problem)"
        case .duplicatedKeysInMapping(_, let context):
            " at line \(context.mark.line), column \(context.mark.column): duplicate key in a mapping"
        default: ""
        }
    }

    static func convert(_ node: Node) -> JSONValue {
        switch node {
        case .mapping(let mapping):
            var object = JSONObject()
            for (key, value) in mapping {
                object[key.string ?? String(describing: key)] = convert(value)
            }
            return .object(object)
        case .sequence(let sequence):
            return .array(sequence.map(convert))
        case .scalar(let scalar):
            if scalar.style != .plain { return .string(scalar.string) }
            if let value = Bool.construct(from: scalar) { return .bool(value) }
            if let value = Int.construct(from: scalar) { return .integer(Int64(value)) }
            if let value = Double.construct(from: scalar) { return .double(value) }
            if NSNullLike.isNull(scalar.string) { return .null }
            return .string(scalar.string)
        case .alias(let alias):
            return .string(String(describing: alias))
        }
    }
}

private enum NSNullLike {
    static func isNull(_ text: String) -> Bool { text == "~" || text == "null" || text == "Null" || text == "NULL" || text.isEmpty }
}
