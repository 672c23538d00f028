import KubeCore
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
            let parser = try Parser(yaml: text, resolver: resolver)
            while let node = try parser.nextRoot() {
                let value = try convert(node, budget: &budget, depth: 0, file: file)
                if !value.isNull { documents.append(value) }
            }
        } catch let error as KustomizeError {
            throw error
        } catch let error as YamlError {
            throw describe(error, file: file)
        } catch {
            throw .malformedYAML(file: file, line: nil, detail: "\(error)")
        }
        return documents
    }

    /// Yams' resolver with YAML 1.2 booleans, as kustomize (go-yaml v3) reads them: `yes`, `on` stay strings.
    private static let resolver: Resolver = {
        let base = Resolver.default.removing(.bool)
        return (try? base.appending(.bool, "^(?:true|True|TRUE|false|False|FALSE)$")) ?? base
    }()

    private static func describe(_ error: YamlError, file: String) -> KustomizeError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return .malformedYAML(file: file, line: mark.line, detail: problem)
        default:
            return .malformedYAML(file: file, line: nil, detail: "\(error)")
        }
    }

    private static func convert(_ node: Node, budget: inout Int, depth: Int, file: String) throws(KustomizeError)
        -> JSONValue
    {
        budget -= 1
        if budget < 0 || depth > 256 { throw .yamlTooComplex(file: file) }
        switch node {
        case .scalar(let scalar):
            return convertScalar(scalar, node: node)
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

    private static func convertScalar(_ scalar: Node.Scalar, node: Node) -> JSONValue {
        if scalar.style != .plain && scalar.style != .any { return .string(scalar.string) }
        switch node.tag.description {
        case "tag:yaml.org,2002:null": return .null
        case "tag:yaml.org,2002:bool": return node.bool.map(JSONValue.bool) ?? .string(scalar.string)
        case "tag:yaml.org,2002:int":
            // kustomize (go-yaml) reads base-60 numbers such as 12:30:00 as strings.
            if scalar.string.contains(":") { return .string(scalar.string) }
            if let value = node.int { return .integer(Int64(value)) }
            if let value = Int64(scalar.string.filter { $0 != "_" }) { return .integer(value) }
            return .string(scalar.string)
        case "tag:yaml.org,2002:float":
            if scalar.string.contains(":") { return .string(scalar.string) }
            if let value = node.float, value.isFinite { return .double(value) }
            return .string(scalar.string)
        default: return .string(scalar.string)
        }
    }
}
