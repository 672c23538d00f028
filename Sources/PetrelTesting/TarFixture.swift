import CZlib
import Foundation

/// Builds tar streams byte by byte, malformed ones included, for extraction tests and the extractor's fuzz test.
///
/// Every header gets a correct checksum unless asked otherwise, so a test reaches the code behind the checksum
/// check. ``gzip(_:)`` compresses with zlib, as ``GitSource`` artifacts are.
package struct TarFixture: Sendable {
    /// The uncompressed tar stream written so far.
    package var bytes: [UInt8] = []

    /// An empty stream.
    package init() {}

    /// Appends a ustar header.
    ///
    /// - Parameters:
    ///   - sizeField: the 12 raw bytes of the size field; default: `size` in octal.
    ///   - correctChecksum: write the right checksum (default) or a wrong one.
    package mutating func header(
        name: String, type: Character, size: Int = 0, mode: Int = 0o644, linkName: String = "", prefix: String = "",
        sizeField: [UInt8]? = nil, correctChecksum: Bool = true
    ) {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ value: [UInt8], at offset: Int, max: Int) {
            for (index, byte) in value.prefix(max).enumerated() { header[offset + index] = byte }
        }
        put(Array(name.utf8), at: 0, max: 100)
        put(Array(String(format: "%07o", mode & 0o7777777).utf8), at: 100, max: 7)
        put(Array("0000000".utf8), at: 108, max: 7)
        put(Array("0000000".utf8), at: 116, max: 7)
        put(sizeField ?? Array(String(format: "%011llo", UInt64(clamping: max(0, size))).utf8), at: 124, max: 12)
        put(Array("00000000000".utf8), at: 136, max: 11)
        header[156] = type.asciiValue ?? UInt8(ascii: "0")
        put(Array(linkName.utf8), at: 157, max: 100)
        put(Array("ustar\0".utf8), at: 257, max: 6)
        put(Array("00".utf8), at: 263, max: 2)
        put(Array(prefix.utf8), at: 345, max: 155)
        Self.setChecksum(&header, at: 0, correct: correctChecksum)
        bytes += header
    }

    /// Appends `data`, padded with zeros to the next 512-byte block.
    package mutating func data(_ data: [UInt8]) {
        bytes += data
        bytes += [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
    }

    /// Appends a regular file: header and data.
    package mutating func file(_ name: String, _ contents: String, mode: Int = 0o644) {
        header(name: name, type: "0", size: contents.utf8.count, mode: mode)
        data(Array(contents.utf8))
    }

    /// Appends a PAX extended header (`x`, or `g` for a global one) holding `records` as they are.
    package mutating func pax(_ records: [[UInt8]], global: Bool = false) {
        let body = records.flatMap { $0 }
        header(name: "PaxHeaders/entry", type: global ? "g" : "x", size: body.count)
        data(body)
    }

    /// A well-formed PAX record `"<len> key=value\n"`, where `<len>` counts the whole record.
    package static func paxRecord(_ key: String, _ value: String) -> [UInt8] {
        let body = Array(" \(key)=\(value)\n".utf8)
        var length = body.count + 1
        while String(length).utf8.count + body.count != length { length = String(length).utf8.count + body.count }
        return Array(String(length).utf8) + body
    }

    /// Appends the two zero blocks that end an archive.
    package mutating func end() { bytes += [UInt8](repeating: 0, count: 1024) }

    /// Writes the checksum of the 512-byte header at `offset` (or a wrong one).
    package static func setChecksum(_ bytes: inout [UInt8], at offset: Int, correct: Bool = true) {
        guard offset >= 0, offset + 512 <= bytes.count else { return }
        for index in 148..<156 { bytes[offset + index] = UInt8(ascii: " ") }
        var sum = 0
        for index in 0..<512 { sum += Int(bytes[offset + index]) }
        if !correct { sum += 1 }
        let digits = Array(String(format: "%06o", sum).utf8)
        for (index, byte) in digits.prefix(6).enumerated() { bytes[offset + 148 + index] = byte }
        bytes[offset + 154] = 0
        bytes[offset + 155] = UInt8(ascii: " ")
    }

    /// The stream gzip-compressed.
    package func gzip() -> [UInt8] { Self.gzip(bytes) }

    /// `input` gzip-compressed with zlib (level 6).
    package static func gzip(_ input: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        guard petrel_deflate_init_gzip(&stream, 6) == Z_OK else { return [] }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 64)
        var input = input
        let produced = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = uInt(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = uInt(outBuffer.count)
                _ = deflate(&stream, Z_FINISH)
                return outBuffer.count - Int(stream.avail_out)
            }
        }
        return Array(output.prefix(produced))
    }
}
