import KubeCore

/// A compact binary form of a ``JSONValue``, as a ``Store`` keeps its objects: one byte array per object instead
/// of a tree of arrays, strings and objects (a 1 KiB ConfigMap takes about 1.2 KiB instead of 3.5 KiB as a tree).
///
/// The encoding round-trips exactly: key order, integers versus doubles (`2.0` stays a double) and every string.
/// Layout: a tag byte, then for integers and doubles 8 little-endian bytes, for strings a length and the UTF-8
/// bytes, for arrays a count and the elements, for objects a count and key/value pairs. Lengths and counts are
/// LEB128 varints.
enum CompactJSON {
    private enum Tag: UInt8 {
        case null = 0, isFalse, isTrue, integer, double, string, array, object
    }

    /// The encoded bytes of `value`, in an array with no spare capacity.
    static func encode(_ value: JSONValue) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        write(value, into: &output)
        return [UInt8](unsafeUninitializedCapacity: output.count) { buffer, count in
            _ = buffer.initialize(from: output)
            count = output.count
        }
    }

    /// The value encoded in `bytes`; `nil` if they are not a complete encoding.
    static func decode(_ bytes: [UInt8]) -> JSONValue? {
        bytes.withUnsafeBufferPointer { buffer in
            var reader = Reader(buffer: buffer)
            guard let value = reader.value(depth: 0), reader.offset == buffer.count else { return nil }
            return value
        }
    }

    private static func write(_ value: JSONValue, into output: inout [UInt8]) {
        switch value {
        case .null: output.append(Tag.null.rawValue)
        case .bool(let bool): output.append(bool ? Tag.isTrue.rawValue : Tag.isFalse.rawValue)
        case .integer(let integer):
            output.append(Tag.integer.rawValue)
            writeFixed(UInt64(bitPattern: integer), into: &output)
        case .double(let double):
            output.append(Tag.double.rawValue)
            writeFixed(double.bitPattern, into: &output)
        case .string(let string):
            output.append(Tag.string.rawValue)
            writeString(string, into: &output)
        case .array(let array):
            output.append(Tag.array.rawValue)
            writeLength(array.count, into: &output)
            for element in array { write(element, into: &output) }
        case .object(let object):
            output.append(Tag.object.rawValue)
            writeLength(object.count, into: &output)
            for (key, member) in object {
                writeString(key, into: &output)
                write(member, into: &output)
            }
        }
    }

    private static func writeFixed(_ value: UInt64, into output: inout [UInt8]) {
        for shift in stride(from: 0, to: 64, by: 8) { output.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    private static func writeLength(_ length: Int, into output: inout [UInt8]) {
        var rest = UInt(length)
        while rest >= 0x80 {
            output.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        output.append(UInt8(rest))
    }

    private static func writeString(_ string: String, into output: inout [UInt8]) {
        var string = string
        string.withUTF8 { utf8 in
            writeLength(utf8.count, into: &output)
            output.append(contentsOf: utf8)
        }
    }

    private struct Reader {
        let buffer: UnsafeBufferPointer<UInt8>
        var offset = 0

        /// Deeper than any JSON the parser accepts (512), so a corrupt encoding cannot overflow the stack.
        static let maximumDepth = 600

        mutating func value(depth: Int) -> JSONValue? {
            guard depth < Self.maximumDepth, offset < buffer.count, let tag = Tag(rawValue: buffer[offset]) else {
                return nil
            }
            offset += 1
            switch tag {
            case .null: return .null
            case .isFalse: return .bool(false)
            case .isTrue: return .bool(true)
            case .integer: return fixed().map { .integer(Int64(bitPattern: $0)) }
            case .double: return fixed().map { .double(Double(bitPattern: $0)) }
            case .string: return string().map { .string($0) }
            case .array:
                guard let count = length(), count <= buffer.count - offset else { return nil }
                var array: [JSONValue] = []
                array.reserveCapacity(count)
                for _ in 0..<count {
                    guard let element = value(depth: depth + 1) else { return nil }
                    array.append(element)
                }
                return .array(array)
            case .object:
                guard let count = length(), count <= buffer.count - offset else { return nil }
                // Arrays of exact capacity, handed over whole (`JSONObject(_:)` is generic and, across modules,
                // unspecialized, which made decoding several times slower).
                var keys: [String] = []
                var values: [JSONValue] = []
                keys.reserveCapacity(count)
                values.reserveCapacity(count)
                for _ in 0..<count {
                    guard let key = string(), let member = value(depth: depth + 1) else { return nil }
                    keys.append(key)
                    values.append(member)
                }
                return JSONObject(uniqueKeys: keys, values: values).map { .object($0) }
            }
        }

        mutating func fixed() -> UInt64? {
            guard buffer.count - offset >= 8 else { return nil }
            var result: UInt64 = 0
            for index in 0..<8 { result |= UInt64(buffer[offset + index]) << UInt64(index * 8) }
            offset += 8
            return result
        }

        mutating func length() -> Int? {
            var result: UInt = 0
            var shift: UInt = 0
            while offset < buffer.count, shift < 63 {
                let byte = buffer[offset]
                offset += 1
                result |= UInt(byte & 0x7F) << shift
                if byte < 0x80 { return result <= UInt(Int.max) ? Int(result) : nil }
                shift += 7
            }
            return nil
        }

        mutating func string() -> String? {
            guard let count = length(), count <= buffer.count - offset else { return nil }
            let bytes = UnsafeBufferPointer(rebasing: buffer[offset..<(offset + count)])
            offset += count
            // The store wrote valid UTF-8; `String(decoding:)` has a fast path for it (`String(validating:)` is
            // generic and went through the runtime's metadata cache for every string). A corrupted byte would be
            // repaired to U+FFFD, not trusted.
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
