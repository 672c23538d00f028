import Foundation
import KubeCore

extension JSONValue {
    /// Decodes this value into a `Decodable` type (through its JSON text).
    public func decode<T: Decodable>(as type: T.Type = T.self) throws(KubeClientError) -> T {
        do { return try JSONDecoder().decode(T.self, from: Data(JSONSerializer.bytes(self))) } catch {
            throw .decoding("cannot decode \(T.self): \(error)")
        }
    }

    /// Encodes an `Encodable` value into a JSON value.
    public init(encoding value: some Encodable) throws(KubeClientError) {
        do {
            let data = try JSONEncoder().encode(value)
            self = try JSONParser.parse(Array(data))
        } catch {
            throw .decoding("cannot encode \(type(of: value)): \(error)")
        }
    }
}
