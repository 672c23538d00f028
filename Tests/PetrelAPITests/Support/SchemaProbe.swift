import KubeCore
import PetrelAPI

/// What a schema says about one field, in a form both a CRD's openAPIV3Schema and a Swift type can produce.
struct FieldShape: Hashable, CustomStringConvertible {
    /// `string`, `boolean`, `integer`, `number`, `object` or `array`.
    var type: String
    /// `int64` or `date-time` where the schema gives one.
    var format: String?
    /// Whether the parent object requires the field.
    var required: Bool
    /// The allowed values of an enum, sorted.
    var enumValues: [String]?

    init(type: String, format: String? = nil, required: Bool, enumValues: [String]? = nil) {
        self.type = type
        self.format = format
        self.required = required
        self.enumValues = enumValues
    }

    var description: String {
        var text = type
        if let format { text += "(\(format))" }
        if required { text += " required" }
        if let enumValues { text += " enum\(enumValues)" }
        return text
    }
}

/// Walks a CRD version's `openAPIV3Schema` into `path -> shape`, e.g. `spec.patches[].target.kind`.
enum CRDSchemaWalker {
    static func fields(of schema: JSONValue) -> [String: FieldShape] {
        var result: [String: FieldShape] = [:]
        walk(schema, path: "", into: &result)
        return result
    }

    private static func walk(_ schema: JSONValue, path: String, into result: inout [String: FieldShape]) {
        let required = Set(schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        if let properties = schema["properties"]?.objectValue {
            for (name, child) in properties {
                let childPath = path.isEmpty ? name : "\(path).\(name)"
                result[childPath] = shape(of: child, required: required.contains(name))
                walk(child, path: childPath, into: &result)
            }
        }
        if let items = schema["items"] {
            result["\(path)[]"] = shape(of: items, required: false)
            walk(items, path: "\(path)[]", into: &result)
        }
    }

    private static func shape(of schema: JSONValue, required: Bool) -> FieldShape {
        FieldShape(
            type: schema["type"]?.stringValue ?? "?", format: schema["format"]?.stringValue, required: required,
            enumValues: schema["enum"]?.arrayValue.map { $0.compactMap(\.stringValue).sorted() })
    }
}

/// Reads the shape of a `Decodable` type by decoding it from a decoder that offers every key and records what the
/// type asks for: `decode` marks a required field, `decodeIfPresent` an optional one; arrays yield one element and
/// dictionaries none.
///
/// Leaves: `String`/`Bool`/integers/`Double`, ``GoDuration`` (string), ``Time`` (string, date-time), ``ObjectMeta``
/// (object: the CRD leaves `metadata` to the server) and `CaseIterable` string enums (string with its values).
final class SchemaProbe {
    private(set) var fields: [String: FieldShape] = [:]

    static func fields<T: Decodable>(of type: T.Type) throws -> [String: FieldShape] {
        let probe = SchemaProbe()
        _ = try probe.make(T.self, path: "", required: true)
        probe.fields[""] = nil
        return probe.fields
    }

    struct ProbeError: Error {
        var message: String
    }

    func record(_ path: String, type: String, format: String? = nil, required: Bool? = nil, enumValues: [String]? = nil)
    {
        var shape = fields[path] ?? FieldShape(type: type, format: nil, required: false, enumValues: nil)
        shape.type = type
        if let format { shape.format = format }
        if let required { shape.required = required }
        if let enumValues { shape.enumValues = enumValues.sorted() }
        fields[path] = shape
    }

    func make<T: Decodable>(_ type: T.Type, path: String, required: Bool) throws -> T {
        record(path, type: "?", required: required)
        let value: Any
        switch T.self {
        case is String.Type:
            record(path, type: "string")
            value = "probe"
        case is Bool.Type:
            record(path, type: "boolean")
            value = true
        case is Int64.Type:
            record(path, type: "integer", format: "int64")
            value = Int64(1)
        case is Int.Type:
            record(path, type: "integer")
            value = 1
        case is Double.Type:
            record(path, type: "number")
            value = 1.0
        case is GoDuration.Type:
            record(path, type: "string")
            value = GoDuration.seconds(1)
        case is Time.Type:
            record(path, type: "string", format: "date-time")
            value = Time(secondsSince1970: 0)
        case is ObjectMeta.Type:
            record(path, type: "object")
            value = ObjectMeta()
        default:
            if let enumType = T.self as? any (CaseIterable & RawRepresentable).Type {
                let (values, first) = Self.cases(of: enumType)
                record(path, type: "string", enumValues: values)
                value = first
            } else {
                return try T(from: ProbeDecoder(probe: self, path: path))
            }
        }
        guard let typed = value as? T else { throw ProbeError(message: "cannot make \(T.self) at \(path)") }
        return typed
    }

    private static func cases<E: CaseIterable & RawRepresentable>(of type: E.Type) -> ([String], Any) {
        let all = Array(type.allCases)
        return (all.map { "\($0.rawValue)" }, all[0])
    }
}

private struct ProbeDecoder: Decoder {
    let probe: SchemaProbe
    let path: String
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]

    init(probe: SchemaProbe, path: String) {
        self.probe = probe
        self.path = path
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        probe.record(path, type: "object")
        return KeyedDecodingContainer(ProbeKeyedContainer<Key>(probe: probe, path: path))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        probe.record(path, type: "array")
        return ProbeUnkeyedContainer(probe: probe, path: path)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        ProbeSingleValueContainer(probe: probe, path: path)
    }
}

private struct ProbeKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let probe: SchemaProbe
    let path: String
    var codingPath: [any CodingKey] = []
    var allKeys: [Key] { [] }

    init(probe: SchemaProbe, path: String) {
        self.probe = probe
        self.path = path
    }

    func childPath(_ key: Key) -> String { path.isEmpty ? key.stringValue : "\(path).\(key.stringValue)" }
    func contains(_ key: Key) -> Bool { true }
    func decodeNil(forKey key: Key) throws -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try probe.make(T.self, path: childPath(key), required: true)
    }
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        try probe.make(T.self, path: childPath(key), required: false)
    }
    // The concrete overloads: without them, the protocol's defaults would route decodeIfPresent through decode.
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try decode(probing: type, key, true) }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decode(probing: type, key, true) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decode(probing: type, key, true) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decode(probing: type, key, true) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decode(probing: type, key, true) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decode(probing: type, key, true) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decode(probing: type, key, true) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decode(probing: type, key, true) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decode(probing: type, key, true) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decode(probing: type, key, true) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decode(probing: type, key, true) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decode(probing: type, key, true) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decode(probing: type, key, true) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decode(probing: type, key, true) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? {
        try decode(probing: type, key, false)
    }
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try decode(probing: type, key, false) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try decode(probing: type, key, false) }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try decode(probing: type, key, false) }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try decode(probing: type, key, false) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try decode(probing: type, key, false) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try decode(probing: type, key, false) }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try decode(probing: type, key, false) }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try decode(probing: type, key, false) }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? {
        try decode(probing: type, key, false)
    }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? {
        try decode(probing: type, key, false)
    }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? {
        try decode(probing: type, key, false)
    }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? {
        try decode(probing: type, key, false)
    }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try decode(probing: type, key, false) }

    private func decode<T: Decodable>(probing type: T.Type, _ key: Key, _ required: Bool) throws -> T {
        try probe.make(T.self, path: childPath(key), required: required)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try ProbeDecoder(probe: probe, path: childPath(key)).container(keyedBy: type)
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try ProbeDecoder(probe: probe, path: childPath(key)).unkeyedContainer()
    }
    func superDecoder() throws -> any Decoder { ProbeDecoder(probe: probe, path: path) }
    func superDecoder(forKey key: Key) throws -> any Decoder { ProbeDecoder(probe: probe, path: childPath(key)) }
}

private struct ProbeUnkeyedContainer: UnkeyedDecodingContainer {
    let probe: SchemaProbe
    let path: String
    var codingPath: [any CodingKey] = []
    var count: Int? { 1 }
    var currentIndex = 0
    var isAtEnd: Bool { currentIndex >= 1 }

    init(probe: SchemaProbe, path: String) {
        self.probe = probe
        self.path = path
    }

    mutating func decodeNil() throws -> Bool { false }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        currentIndex += 1
        return try probe.make(T.self, path: "\(path)[]", required: false)
    }
    mutating func decode(_ type: String.Type) throws -> String { try decode(Wrapped<String>.self).value }
    mutating func decode(_ type: Bool.Type) throws -> Bool { try decode(Wrapped<Bool>.self).value }
    mutating func decode(_ type: Int.Type) throws -> Int { try decode(Wrapped<Int>.self).value }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try decode(Wrapped<Int8>.self).value }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try decode(Wrapped<Int16>.self).value }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try decode(Wrapped<Int32>.self).value }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try decode(Wrapped<Int64>.self).value }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try decode(Wrapped<UInt>.self).value }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try decode(Wrapped<UInt8>.self).value }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try decode(Wrapped<UInt16>.self).value }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try decode(Wrapped<UInt32>.self).value }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try decode(Wrapped<UInt64>.self).value }
    mutating func decode(_ type: Double.Type) throws -> Double { try decode(Wrapped<Double>.self).value }
    mutating func decode(_ type: Float.Type) throws -> Float { try decode(Wrapped<Float>.self).value }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        currentIndex += 1
        return try ProbeDecoder(probe: probe, path: "\(path)[]").container(keyedBy: type)
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        currentIndex += 1
        return try ProbeDecoder(probe: probe, path: "\(path)[]").unkeyedContainer()
    }
    mutating func superDecoder() throws -> any Decoder { ProbeDecoder(probe: probe, path: "\(path)[]") }
}

private struct ProbeSingleValueContainer: SingleValueDecodingContainer {
    let probe: SchemaProbe
    let path: String
    var codingPath: [any CodingKey] = []

    func decodeNil() -> Bool { false }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try probe.make(T.self, path: path, required: probe.fields[path]?.required ?? false)
    }
    func decode(_ type: String.Type) throws -> String { try decode(Wrapped<String>.self).value }
    func decode(_ type: Bool.Type) throws -> Bool { try decode(Wrapped<Bool>.self).value }
    func decode(_ type: Int.Type) throws -> Int { try decode(Wrapped<Int>.self).value }
    func decode(_ type: Int8.Type) throws -> Int8 { try decode(Wrapped<Int8>.self).value }
    func decode(_ type: Int16.Type) throws -> Int16 { try decode(Wrapped<Int16>.self).value }
    func decode(_ type: Int32.Type) throws -> Int32 { try decode(Wrapped<Int32>.self).value }
    func decode(_ type: Int64.Type) throws -> Int64 { try decode(Wrapped<Int64>.self).value }
    func decode(_ type: UInt.Type) throws -> UInt { try decode(Wrapped<UInt>.self).value }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decode(Wrapped<UInt8>.self).value }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decode(Wrapped<UInt16>.self).value }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decode(Wrapped<UInt32>.self).value }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decode(Wrapped<UInt64>.self).value }
    func decode(_ type: Double.Type) throws -> Double { try decode(Wrapped<Double>.self).value }
    func decode(_ type: Float.Type) throws -> Float { try decode(Wrapped<Float>.self).value }
}

/// Routes a primitive through the generic path so ``SchemaProbe/make(_:path:required:)`` records it.
private struct Wrapped<Value: Decodable>: Decodable {
    var value: Value
    init(from decoder: any Decoder) throws {
        guard let probe = decoder as? ProbeDecoder else { throw SchemaProbe.ProbeError(message: "not a probe") }
        value = try probe.probe.make(
            Value.self, path: probe.path, required: probe.probe.fields[probe.path]?.required ?? false)
    }
}
