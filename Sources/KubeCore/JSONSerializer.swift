/// Writes ``JSONValue`` as compact JSON text, keeping object key order.
///
/// The output escapes what Go's `encoding/json` escapes (`<`, `>`, `&` and U+2028/U+2029 too), so bytes
/// written by Petrel's API server look like a real API server's.
public enum JSONSerializer {
    /// The compact JSON bytes of a value.
    public static func bytes(_ value: JSONValue, sortKeys: Bool = false) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        write(value, into: &output, sortKeys: sortKeys)
        return output
    }

    /// The compact JSON text of a value.
    public static func string(_ value: JSONValue, sortKeys: Bool = false) -> String {
        String(decoding: bytes(value, sortKeys: sortKeys), as: UTF8.self)
    }

    /// Appends the compact JSON bytes of a value to `output`.
    public static func write(_ value: JSONValue, into output: inout [UInt8], sortKeys: Bool = false) {
        switch value {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let bool): output.append(contentsOf: (bool ? "true" : "false").utf8)
        case .integer(let integer): output.append(contentsOf: String(integer).utf8)
        case .double(let double): writeDouble(double, into: &output)
        case .string(let string): writeString(string, into: &output)
        case .array(let array):
            output.append(UInt8(ascii: "["))
            for (offset, element) in array.enumerated() {
                if offset > 0 { output.append(UInt8(ascii: ",")) }
                write(element, into: &output, sortKeys: sortKeys)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            let members = sortKeys ? object.sortedByKey() : object
            var first = true
            for (key, member) in members {
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                writeString(key, into: &output)
                output.append(UInt8(ascii: ":"))
                write(member, into: &output, sortKeys: sortKeys)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    static func writeDouble(_ double: Double, into output: inout [UInt8]) {
        guard double.isFinite else {
            output.append(contentsOf: "null".utf8)
            return
        }
        if double.rounded() == double, abs(double) < 1e15 {
            output.append(contentsOf: String(Int64(double)).utf8)
        } else {
            output.append(contentsOf: "\(double)".utf8)
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    static func writeString(_ string: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var utf8 = string.utf8.makeIterator()
        var pending: [UInt8] = []
        while let byte = utf8.next() {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): output.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: output.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x00..<0x20, UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"):
                output.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30])
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            case 0xE2:
                // U+2028 and U+2029 are E2 80 A8 / E2 80 A9.
                pending = [byte]
                if let second = utf8.next() {
                    pending.append(second)
                    if let third = utf8.next() {
                        pending.append(third)
                    }
                }
                if pending.count == 3, pending[1] == 0x80, pending[2] == 0xA8 || pending[2] == 0xA9 {
                    output.append(contentsOf: Array("\\u202".utf8))
                    output.append(pending[2] == 0xA8 ? UInt8(ascii: "8") : UInt8(ascii: "9"))
                } else {
                    output.append(contentsOf: pending)
                }
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
