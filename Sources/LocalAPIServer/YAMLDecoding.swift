import KubeCore
import Yams

/// Decoding request bodies that may be YAML (server-side apply sends `application/apply-patch+yaml`).
enum YAMLDecoding {
    /// Parses JSON, or YAML when the bytes are not JSON.
    static func decode(_ bytes: [UInt8]) throws(APIError) -> JSONValue {
        if let json = try? JSONParser.parse(bytes) { return json }
        let text = String(decoding: bytes, as: UTF8.self)
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw .badRequest("error decoding YAML: \(error)")
        }
        guard let node else { throw .badRequest("the request body is empty") }
        return try convert(node)
    }

    private static func convert(_ node: Node) throws(APIError) -> JSONValue {
        switch node {
        case .scalar(let scalar): return convertScalar(scalar)
        case .sequence(let sequence):
            var items: [JSONValue] = []
            for item in sequence { items.append(try convert(item)) }
            return .array(items)
        case .mapping(let mapping):
            var object = JSONObject()
            for (key, value) in mapping {
                guard let keyText = key.string else { throw .badRequest("YAML mapping keys must be strings") }
                object[keyText] = try convert(value)
            }
            return .object(object)
        case .alias:
            throw .badRequest("YAML aliases are not supported")
        }
    }

    private static func convertScalar(_ scalar: Node.Scalar) -> JSONValue {
        let text = scalar.string
        guard scalar.style == .plain else { return .string(text) }
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        if let integer = Int64(text) { return .integer(integer) }
        if text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), let double = Double(text),
            text.first.map({ $0.isNumber || $0 == "-" || $0 == "." }) ?? false
        {
            return .double(double)
        }
        return .string(text)
    }
}
