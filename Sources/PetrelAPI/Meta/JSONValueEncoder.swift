import KubeCore

/// An `Encoder` that produces ``KubeCore/JSONValue`` directly, keeping object keys in the order the `Encodable`
/// implementation writes them (declaration order for synthesized conformances), as Go's `encoding/json` does for
/// structs. `[String: String]` maps come out with sorted keys, as Go writes maps.
public struct JSONValueEncoder {
    /// An encoder.
    public init() {}

    /// The JSON form of `value`.
    ///
    /// - Throws: ``PetrelAPIError/encodingFailed(type:detail:)`` when the value throws while encoding or contains a
    ///   non-finite floating-point number.
    public func encode(_ value: some Encodable) throws(PetrelAPIError) -> JSONValue {
        let root = EncodingNode()
        do {
            try root.encode(value, codingPath: [])
        } catch let error as PetrelAPIError {
            throw error
        } catch {
            throw .encodingFailed(type: String(describing: type(of: value)), detail: "\(error)")
        }
        return root.resolved()
    }

    static func leaf(_ value: Any) throws -> JSONValue {
        switch value {
        case let string as String: return .string(string)
        case let bool as Bool: return .bool(bool)
        case let integer as Int: return .integer(Int64(integer))
        case let integer as Int8: return .integer(Int64(integer))
        case let integer as Int16: return .integer(Int64(integer))
        case let integer as Int32: return .integer(Int64(integer))
        case let integer as Int64: return .integer(integer)
        case let integer as UInt: return try unsigned(UInt64(integer))
        case let integer as UInt8: return .integer(Int64(integer))
        case let integer as UInt16: return .integer(Int64(integer))
        case let integer as UInt32: return .integer(Int64(integer))
        case let integer as UInt64: return try unsigned(integer)
        case let double as Double: return try finite(double)
        case let float as Float: return try finite(Double(float))
        default: throw PetrelAPIError.encodingFailed(type: "\(type(of: value))", detail: "not a JSON scalar")
        }
    }

    private static func unsigned(_ value: UInt64) throws -> JSONValue {
        guard value <= UInt64(Int64.max) else {
            throw PetrelAPIError.encodingFailed(type: "UInt64", detail: "\(value) does not fit in a JSON integer")
        }
        return .integer(Int64(value))
    }

    private static func finite(_ value: Double) throws -> JSONValue {
        guard value.isFinite else {
            throw PetrelAPIError.encodingFailed(type: "Double", detail: "\(value) is not a finite number")
        }
        return .double(value)
    }
}

/// One value under construction; containers hold references so nested containers can fill them later.
final class EncodingNode {
    enum Storage {
        case empty
        case leaf(JSONValue)
        case object([(String, EncodingNode)])
        case array([EncodingNode])
    }

    var storage: Storage = .empty

    func encode(_ value: some Encodable, codingPath: [any CodingKey]) throws {
        if let scalar = try? JSONValueEncoder.leaf(value) {
            storage = .leaf(scalar)
        } else if let map = value as? [String: String] {
            let members = map.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            storage = .object(
                members.map { member in
                    let node = EncodingNode()
                    node.storage = .leaf(.string(member.value))
                    return (member.key, node)
                })
        } else {
            try value.encode(to: NodeEncoder(node: self, codingPath: codingPath))
        }
    }

    func resolved() -> JSONValue {
        switch storage {
        case .empty: return .object(JSONObject())
        case .leaf(let value): return value
        case .array(let nodes): return .array(nodes.map { $0.resolved() })
        case .object(let members):
            var object = JSONObject()
            for (key, node) in members { object[key] = node.resolved() }
            return .object(object)
        }
    }

    func child(forKey key: String) -> EncodingNode {
        var members: [(String, EncodingNode)] = []
        if case .object(let existing) = storage { members = existing }
        if let found = members.first(where: { $0.0 == key }) { return found.1 }
        let node = EncodingNode()
        members.append((key, node))
        storage = .object(members)
        return node
    }

    func appendElement() -> EncodingNode {
        var elements: [EncodingNode] = []
        if case .array(let existing) = storage { elements = existing }
        let node = EncodingNode()
        elements.append(node)
        storage = .array(elements)
        return node
    }
}

private struct NodeEncoder: Encoder {
    let node: EncodingNode
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = node.storage {} else { node.storage = .object([]) }
        return KeyedEncodingContainer(NodeKeyedContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = node.storage {} else { node.storage = .array([]) }
        return NodeUnkeyedContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        NodeSingleValueContainer(node: node, codingPath: codingPath)
    }
}

private struct NodeKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: EncodingNode
    var codingPath: [any CodingKey]

    private func child(_ key: Key) -> EncodingNode { node.child(forKey: key.stringValue) }

    mutating func encodeNil(forKey key: Key) throws { child(key).storage = .leaf(.null) }
    mutating func encode(_ value: String, forKey key: Key) throws {
        child(key).storage = .leaf(try JSONValueEncoder.leaf(value))
    }
    mutating func encode(_ value: Bool, forKey key: Key) throws {
        child(key).storage = .leaf(try JSONValueEncoder.leaf(value))
    }
    mutating func encode(_ value: Int, forKey key: Key) throws {
        child(key).storage = .leaf(try JSONValueEncoder.leaf(value))
    }
    mutating func encode(_ value: Int8, forKey key: Key) throws {
        child(key).storage = .leaf(try JSONValueEncoder.leaf(value))
    }
    mutating func encode(_ value: Int16, forKey key: Key) throws {
        child(key).storage = .leaf(try JSONValueEncoder.leaf(value))
    }
    mutating func encode(_ value: Int32, forKey key: Key) throws {
        child(key).storage = .leaf(try JSONValueEncoder.leaf(value))
    }
    mutating func encode(_ value: Int64, forKey key: Key) throws {
        child(key).storage = .leaf(try JSONValueEncoder.leaf(value))
    }
    mutating func encode(_ value: UInt, forKey key: Key) throws {
        child(key).storage = .leaf(try JSONValueEncoder.leaf(value))
    }
    mutating func encode(_ value: UInt8, forKey key: Key) throws {
        child(key).storage = .leaf(try JSONValueEncoder.leaf(value))
    }
    mutating func encode(_ value: UInt16, forKey key: Key) throws {
        child(key).storage = .leaf(try JSONValueEncoder.leaf(value))
    }
    mutating func encode(_ value: UInt32, forKey key: Key) throws {
        child(key).storage = .leaf(try JSONValueEncoder.leaf(value))
    }
    mutating func encode(_ value: UInt64, forKey key: Key) throws {
        child(key).storage = .leaf(try JSONValueEncoder.leaf(value))
    }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        child(key).storage = .leaf(try JSONValueEncoder.leaf(value))
    }
    mutating func encode(_ value: Float, forKey key: Key) throws {
        child(key).storage = .leaf(try JSONValueEncoder.leaf(value))
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try child(key).encode(value, codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        NodeEncoder(node: child(key), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        NodeEncoder(node: child(key), codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        NodeEncoder(node: node.child(forKey: "super"), codingPath: codingPath)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        NodeEncoder(node: child(key), codingPath: codingPath + [key])
    }
}

private struct NodeUnkeyedContainer: UnkeyedEncodingContainer {
    let node: EncodingNode
    var codingPath: [any CodingKey]
    var count: Int {
        if case .array(let elements) = node.storage { return elements.count }
        return 0
    }

    private func append() -> EncodingNode { node.appendElement() }

    mutating func encodeNil() throws { append().storage = .leaf(.null) }
    mutating func encode(_ value: String) throws { append().storage = .leaf(try JSONValueEncoder.leaf(value)) }
    mutating func encode(_ value: Bool) throws { append().storage = .leaf(try JSONValueEncoder.leaf(value)) }
    mutating func encode(_ value: Int) throws { append().storage = .leaf(try JSONValueEncoder.leaf(value)) }
    mutating func encode(_ value: Int8) throws { append().storage = .leaf(try JSONValueEncoder.leaf(value)) }
    mutating func encode(_ value: Int16) throws { append().storage = .leaf(try JSONValueEncoder.leaf(value)) }
    mutating func encode(_ value: Int32) throws { append().storage = .leaf(try JSONValueEncoder.leaf(value)) }
    mutating func encode(_ value: Int64) throws { append().storage = .leaf(try JSONValueEncoder.leaf(value)) }
    mutating func encode(_ value: UInt) throws { append().storage = .leaf(try JSONValueEncoder.leaf(value)) }
    mutating func encode(_ value: UInt8) throws { append().storage = .leaf(try JSONValueEncoder.leaf(value)) }
    mutating func encode(_ value: UInt16) throws { append().storage = .leaf(try JSONValueEncoder.leaf(value)) }
    mutating func encode(_ value: UInt32) throws { append().storage = .leaf(try JSONValueEncoder.leaf(value)) }
    mutating func encode(_ value: UInt64) throws { append().storage = .leaf(try JSONValueEncoder.leaf(value)) }
    mutating func encode(_ value: Double) throws { append().storage = .leaf(try JSONValueEncoder.leaf(value)) }
    mutating func encode(_ value: Float) throws { append().storage = .leaf(try JSONValueEncoder.leaf(value)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try append().encode(value, codingPath: codingPath)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        NodeEncoder(node: append(), codingPath: codingPath).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        NodeEncoder(node: append(), codingPath: codingPath).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { NodeEncoder(node: append(), codingPath: codingPath) }
}

private struct NodeSingleValueContainer: SingleValueEncodingContainer {
    let node: EncodingNode
    var codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.storage = .leaf(.null) }
    mutating func encode(_ value: String) throws { node.storage = .leaf(try JSONValueEncoder.leaf(value)) }
    mutating func encode(_ value: Bool) throws { node.storage = .leaf(try JSONValueEncoder.leaf(value)) }
    mutating func encode(_ value: Int) throws { node.storage = .leaf(try JSONValueEncoder.leaf(value)) }
    mutating func encode(_ value: Int8) throws { node.storage = .leaf(try JSONValueEncoder.leaf(value)) }
    mutating func encode(_ value: Int16) throws { node.storage = .leaf(try JSONValueEncoder.leaf(value)) }
    mutating func encode(_ value: Int32) throws { node.storage = .leaf(try JSONValueEncoder.leaf(value)) }
    mutating func encode(_ value: Int64) throws { node.storage = .leaf(try JSONValueEncoder.leaf(value)) }
    mutating func encode(_ value: UInt) throws { node.storage = .leaf(try JSONValueEncoder.leaf(value)) }
    mutating func encode(_ value: UInt8) throws { node.storage = .leaf(try JSONValueEncoder.leaf(value)) }
    mutating func encode(_ value: UInt16) throws { node.storage = .leaf(try JSONValueEncoder.leaf(value)) }
    mutating func encode(_ value: UInt32) throws { node.storage = .leaf(try JSONValueEncoder.leaf(value)) }
    mutating func encode(_ value: UInt64) throws { node.storage = .leaf(try JSONValueEncoder.leaf(value)) }
    mutating func encode(_ value: Double) throws { node.storage = .leaf(try JSONValueEncoder.leaf(value)) }
    mutating func encode(_ value: Float) throws { node.storage = .leaf(try JSONValueEncoder.leaf(value)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try node.encode(value, codingPath: codingPath)
    }
}
