import KubeCore

/// A JSON value carried through `Codable` untouched: for fields Petrel stores but does not interpret, such as
/// `metadata.managedFields`.
///
/// Object keys keep their order when the decoder reports them in order (Foundation's `JSONDecoder` does not
/// promise it); compare with ``KubeCore/JSONValue/semanticallyEquals(_:)``.
public struct RawJSON: Sendable, Hashable, Codable {
    /// The value.
    public var value: JSONValue

    /// Wraps `value`.
    public init(_ value: JSONValue) {
        self.value = value
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        if let keyed = try? decoder.container(keyedBy: AnyKey.self) {
            var object = JSONObject()
            for key in keyed.allKeys {
                object[key.stringValue] = try keyed.decode(RawJSON.self, forKey: key).value
            }
            value = .object(object)
            return
        }
        if var unkeyed = try? decoder.unkeyedContainer() {
            var array: [JSONValue] = []
            while !unkeyed.isAtEnd {
                array.append(try unkeyed.decode(RawJSON.self).value)
            }
            value = .array(array)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            value = .null
        } else if let bool = try? single.decode(Bool.self) {
            value = .bool(bool)
        } else if let integer = try? single.decode(Int64.self) {
            value = .integer(integer)
        } else if let double = try? single.decode(Double.self) {
            value = .double(double)
        } else {
            value = .string(try single.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch value {
        case .null:
            var single = encoder.singleValueContainer()
            try single.encodeNil()
        case .bool(let bool):
            var single = encoder.singleValueContainer()
            try single.encode(bool)
        case .integer(let integer):
            var single = encoder.singleValueContainer()
            try single.encode(integer)
        case .double(let double):
            var single = encoder.singleValueContainer()
            try single.encode(double)
        case .string(let string):
            var single = encoder.singleValueContainer()
            try single.encode(string)
        case .array(let array):
            var unkeyed = encoder.unkeyedContainer()
            for element in array { try unkeyed.encode(RawJSON(element)) }
        case .object(let object):
            var keyed = encoder.container(keyedBy: AnyKey.self)
            for (key, member) in object { try keyed.encode(RawJSON(member), forKey: AnyKey(stringValue: key)) }
        }
    }
}
