import Foundation
import KubeCore
import Yams

/// Test support: YAML documents as ``KubeCore/JSONValue``, and files of the package.
enum TestFiles {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The package root, found from this file's path.
    static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url
    }()

    /// The text of a file relative to the package root.
    static func text(_ relativePath: String) throws -> String {
        try String(contentsOf: packageRoot.appendingPathComponent(relativePath), encoding: .utf8)
    }

    /// The single YAML document of a file, as JSON.
    static func yaml(_ relativePath: String) throws -> JSONValue {
        try json(fromYAML: text(relativePath))
    }

    /// One YAML document as JSON, with scalars typed by the YAML 1.1 core schema as Kubernetes does.
    static func json(fromYAML text: String) throws -> JSONValue {
        guard let node = try Yams.compose(yaml: text) else { throw Failure(description: "empty YAML document") }
        return try convert(node)
    }

    private static func convert(_ node: Node) throws -> JSONValue {
        switch node {
        case .mapping(let mapping):
            var object = JSONObject()
            for (key, value) in mapping {
                guard let name = key.string else { throw Failure(description: "non-string key \(key)") }
                object[name] = try convert(value)
            }
            return .object(object)
        case .sequence(let sequence):
            return .array(try sequence.map(convert))
        case .scalar:
            switch node.tag.description {
            case Tag.Name.null.rawValue: return .null
            case Tag.Name.bool.rawValue:
                guard let bool = node.bool else { break }
                return .bool(bool)
            case Tag.Name.int.rawValue:
                guard let int = node.int else { break }
                return .integer(Int64(int))
            case Tag.Name.float.rawValue:
                guard let double = node.float else { break }
                return .double(double)
            default: break
            }
            guard let string = node.string else { throw Failure(description: "unreadable scalar \(node)") }
            return .string(string)
        case .alias:
            throw Failure(description: "YAML aliases are not used in Petrel's manifests")
        }
    }
}
