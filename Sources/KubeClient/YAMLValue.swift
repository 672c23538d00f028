import KubeCore
import Yams

/// Converts YAML text (a kubeconfig) to ``JSONValue`` with YAML 1.1/1.2 core-schema scalars.
enum YAMLValue {
    static func parse(_ text: String) throws(KubeClientError) -> JSONValue {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch { throw .configuration("invalid YAML: \(String(describing: error).prefix(300))") }
        guard let node else { return .null }
        return convert(node)
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
