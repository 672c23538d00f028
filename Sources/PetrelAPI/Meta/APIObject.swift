import Foundation
import KubeCore

/// A Petrel custom resource: a typed, `Codable` view of one kind.
public protocol APIObject: Codable, Sendable {
    /// The `apiVersion` objects of this kind carry, e.g. `source.petrel.dev/v1`.
    static var apiVersion: String { get }
    /// The kind, e.g. `GitRepository`.
    static var kind: String { get }
    /// The plural resource name used in URLs, e.g. `gitrepositories`.
    static var plural: String { get }
    /// The object's metadata.
    var metadata: ObjectMeta { get set }
}

extension APIObject {
    /// The group, version and kind of this type.
    public static var groupVersionKind: GroupVersionKind { GroupVersionKind(apiVersion: apiVersion, kind: kind) }

    /// The group, version and resource of this type.
    public static var groupVersionResource: GroupVersionResource {
        let groupVersion = GroupVersion(apiVersion: apiVersion)
        return GroupVersionResource(group: groupVersion.group, version: groupVersion.version, resource: plural)
    }

    /// Decodes an object from its unstructured JSON form.
    ///
    /// - Throws: ``PetrelAPIError/decodingFailed(type:detail:)`` naming the offending field.
    public init(json: JSONValue) throws(PetrelAPIError) {
        self = try JSONValueCoding.decode(Self.self, from: json)
    }

    /// The unstructured JSON form, ready to send to the API server.
    ///
    /// - Throws: ``PetrelAPIError/encodingFailed(type:detail:)`` (not expected for well-formed values).
    public func json() throws(PetrelAPIError) -> JSONValue {
        try JSONValueCoding.encode(self)
    }
}

/// Conversions between `Codable` values and ``KubeCore/JSONValue``.
public enum JSONValueCoding {
    /// Encodes `value` as a ``KubeCore/JSONValue`` with ``JSONValueEncoder``, keeping field order.
    public static func encode(_ value: some Encodable) throws(PetrelAPIError) -> JSONValue {
        try JSONValueEncoder().encode(value)
    }

    /// Decodes a `T` from a ``KubeCore/JSONValue``.
    public static func decode<T: Decodable>(_ type: T.Type, from json: JSONValue) throws(PetrelAPIError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(JSONSerializer.bytes(json)))
        } catch let error as DecodingError {
            throw .decodingFailed(type: String(describing: T.self), detail: clipped(describe(error)))
        } catch {
            throw .decodingFailed(type: String(describing: T.self), detail: clipped("\(error)"))
        }
    }

    /// `text` cut to 512 characters with a marker: field paths hold map keys, which the object's author chose.
    static func clipped(_ text: String) -> String {
        text.count <= 512 ? text : text.prefix(512) + "… (truncated)"
    }

    /// A one-line account of a decoding error: the field path and what was wrong there.
    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            let text = codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.isEmpty ? "the top level" : String(text.drop(while: { $0 == "." }))
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing required field \(path(context.codingPath + [key]))"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)) is not a \(type): \(context.debugDescription)"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)) is null, expected \(type)"
        case .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
