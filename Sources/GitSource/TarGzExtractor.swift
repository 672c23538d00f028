import CZlib
import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Bounds on what ``TarGzExtractor`` accepts.
public struct ExtractionLimits: Sendable, Equatable {
    /// The most entries (files and directories) an archive may hold. Default 100,000.
    public var maxEntries: Int
    /// The most uncompressed file bytes an archive may expand to. Default 1 GiB; an artifact of manifests is
    /// usually a few MiB, so a lower bound protects the controller's disk and memory better.
    public var maxTotalBytes: Int
    /// The longest path (bytes) an entry may have. Default 4,096, Linux's `PATH_MAX`.
    public var maxPathLength: Int

    /// Limits with the given bounds (negative values count as 0).
    public init(maxEntries: Int = 100_000, maxTotalBytes: Int = 1 << 30, maxPathLength: Int = 4096) {
        self.maxEntries = max(0, maxEntries)
        self.maxTotalBytes = max(0, maxTotalBytes)
        self.maxPathLength = max(0, maxPathLength)
    }
}

/// What an extraction wrote.
public struct ExtractionSummary: Sendable, Equatable {
    /// Entries written (files and directories).
    public var entries: Int
    /// Uncompressed file bytes written.
    public var bytes: Int
}

/// Why an archive could not be extracted. Each case names the offending entry where there is one.
///
/// Kept apart from ``GitSourceError`` only because that file belongs to another change; fold it in when merging.
public enum TarGzExtractionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The entry's path is absolute, has a `..` component, or (for links) points outside the folder.
    case unsafePath(entry: String, detail: String)
    /// The entry is a link, device, FIFO or another type that is never extracted.
    case unsupportedEntry(entry: String, type: String)
    /// The archive holds more entries or bytes than the limits allow.
    case limitExceeded(entry: String, detail: String)
    /// The bytes are not a well-formed gzip'd tar (bad gzip stream, bad header checksum, truncated).
    case corrupt(String)
    /// A file operation in the destination folder failed.
    case writeFailed(entry: String, detail: String)

    /// A bounded CamelCase reason.
    public var reason: String {
        switch self {
        case .unsafePath: "UnsafeArchivePath"
        case .unsupportedEntry: "UnsupportedArchiveEntry"
        case .limitExceeded: "ArchiveLimitExceeded"
        case .corrupt: "CorruptArchive"
        case .writeFailed: "ExtractionFailed"
        }
    }

    /// What is wrong and what to do.
    public var message: String {
        switch self {
        case .unsafePath(let entry, let detail):
            "refused archive entry '\(entry)': \(detail); an artifact must only hold relative paths inside its root"
        case .unsupportedEntry(let entry, let type):
            "refused archive entry '\(entry)': \(type) entries are never extracted"
        case .limitExceeded(let entry, let detail):
            "archive too large at entry '\(entry)': \(detail)"
        case .corrupt(let detail):
            "the artifact is not a valid tar.gz: \(detail)"
        case .writeFailed(let entry, let detail):
            "failed to extract '\(entry)': \(detail)"
        }
    }

    public var description: String { "\(reason): \(message)" }
}

/// Safely unpacks an artifact `.tar.gz` into a fresh folder.
///
/// Only what Petrel's own archives hold is accepted: directories, regular files, and PAX or GNU long-name
/// records. Symbolic and hard links, devices, FIFOs and unknown entry types are refused (``TreeArchiver`` drops
/// symlinks, so an artifact never holds one), which leaves no way to make a path resolve outside the folder.
///
/// ## Guarantees
/// - Nothing is written outside the folder: absolute names and `..` components are refused, no link is ever
///   created, and files are opened with `O_NOFOLLOW`.
/// - No input traps: every size, length and offset read from the archive is range-checked before use; a malformed
///   header, PAX record or gzip stream is ``TarGzExtractionError/corrupt(_:)``.
/// - At most ``ExtractionLimits/maxEntries`` entries, ``ExtractionLimits/maxTotalBytes`` file bytes, paths of
///   ``ExtractionLimits/maxPathLength`` bytes, and a few metadata records per entry.
/// - Modes are normalised: directories 0755, files 0644 or 0755 when any execute bit is set.
///
/// On any error the partly written folder is removed.
public enum TarGzExtractor {
    /// Extracts `archive` into `directory`, which must not exist yet or be empty.
    ///
    /// - Throws: ``TarGzExtractionError`` naming the entry.
    @discardableResult
    public static func extract(
        archive: URL, into directory: URL, limits: ExtractionLimits = ExtractionLimits()
    ) throws(TarGzExtractionError) -> ExtractionSummary {
        let fileManager = FileManager.default
        if let existing = try? fileManager.contentsOfDirectory(atPath: directory.path), !existing.isEmpty {
            throw .writeFailed(entry: ".", detail: "the destination folder is not empty")
        }
        do { try fileManager.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw .writeFailed(entry: ".", detail: "cannot create the destination folder: \(error)")
        }
        do throws(TarGzExtractionError) {
            let source = try GunzipSource(file: archive)
            var writer = ExtractionWriter(root: directory.standardizedFileURL.path, limits: limits)
            let reader = TarReader(source: source, maxEntrySize: limits.maxTotalBytes)
            while let entry = try reader.next() {
                try writer.write(entry, from: reader)
            }
            return ExtractionSummary(entries: writer.entries, bytes: writer.bytes)
        } catch {
            try? fileManager.removeItem(at: directory)
            throw error
        }
    }
}

/// Writes entries under a root, enforcing the path rules and limits.
struct ExtractionWriter {
    let root: String
    let limits: ExtractionLimits
    private(set) var entries = 0
    private(set) var bytes = 0

    init(root: String, limits: ExtractionLimits) {
        self.root = root
        self.limits = limits
    }

    mutating func write(_ entry: TarEntry, from reader: TarReader) throws(TarGzExtractionError) {
        guard let relative = try Self.safeRelativePath(entry.name, entry: entry.name) else { return }
        entries += 1
        guard entries <= limits.maxEntries else {
            throw .limitExceeded(entry: entry.name, detail: "more than \(limits.maxEntries) entries")
        }
        guard relative.utf8.count <= limits.maxPathLength else {
            throw .limitExceeded(
                entry: String(entry.name.prefix(200)), detail: "a path longer than \(limits.maxPathLength) bytes")
        }
        switch entry.kind {
        case .directory:
            try makeDirectory(relative, entry: entry.name)
        case .file:
            try makeDirectory(Self.parent(relative), entry: entry.name)
            let executable = entry.mode & 0o111 != 0
            try writeFile(relative, entry: entry.name, mode: executable ? 0o755 : 0o644) {
                () throws(TarGzExtractionError) in
                try reader.readChunk()
            }
        case .other(let type):
            throw .unsupportedEntry(entry: entry.name, type: Self.describe(type))
        }
    }

    private func makeDirectory(_ relative: String, entry: String) throws(TarGzExtractionError) {
        guard !relative.isEmpty else { return }
        do {
            try FileManager.default.createDirectory(
                atPath: root + "/" + relative, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o755])
        } catch {
            throw .writeFailed(entry: entry, detail: "cannot create the folder '\(relative)'")
        }
    }

    private mutating func writeFile(
        _ relative: String, entry: String, mode: mode_t, chunks: () throws(TarGzExtractionError) -> [UInt8]?
    ) throws(TarGzExtractionError) {
        let descriptor = open(root + "/" + relative, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            throw .writeFailed(entry: entry, detail: "cannot create the file: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        _ = fchmod(descriptor, mode)
        while let chunk = try chunks() {
            bytes += chunk.count
            guard bytes <= limits.maxTotalBytes else {
                throw .limitExceeded(entry: entry, detail: "more than \(limits.maxTotalBytes) uncompressed bytes")
            }
            var written = 0
            while written < chunk.count {
                let result = chunk.withUnsafeBytes { buffer in
                    Glibc.write(descriptor, buffer.baseAddress.map { $0 + written }, chunk.count - written)
                }
                guard result > 0 else {
                    throw .writeFailed(entry: entry, detail: "write failed: \(String(cString: strerror(errno)))")
                }
                written += result
            }
        }
    }

    /// The normalised relative path of an entry name, `nil` for the root itself.
    ///
    /// - Throws: ``TarGzExtractionError/unsafePath(entry:detail:)`` for absolute names and `..` components.
    static func safeRelativePath(_ name: String, entry: String) throws(TarGzExtractionError) -> String? {
        guard !name.hasPrefix("/") else { throw .unsafePath(entry: entry, detail: "the path is absolute") }
        guard !name.contains("\0") else { throw .unsafePath(entry: entry, detail: "the path contains NUL") }
        let components = name.split(separator: "/").filter { $0 != "." }
        guard !components.contains("..") else {
            throw .unsafePath(entry: entry, detail: "the path has a '..' component")
        }
        return components.isEmpty ? nil : components.joined(separator: "/")
    }

    static func parent(_ relative: String) -> String {
        guard let slash = relative.lastIndex(of: "/") else { return "" }
        return String(relative[..<slash])
    }

    static func describe(_ type: UInt8) -> String {
        switch type {
        case UInt8(ascii: "1"): "hard link"
        case UInt8(ascii: "2"): "symbolic link"
        case UInt8(ascii: "3"): "character device"
        case UInt8(ascii: "4"): "block device"
        case UInt8(ascii: "6"): "FIFO"
        default: "type \(type)"
        }
    }
}

/// One tar header, after PAX and GNU long-name records were folded in.
struct TarEntry {
    enum Kind {
        case file, directory
        case other(UInt8)
    }
    var name: String
    var size: Int
    var mode: Int
    var kind: Kind
}

/// Reads tar entries from a decompressed byte stream: call ``next()`` for each header, then ``readChunk()`` until
/// it returns `nil` for the entry's data (unread data is skipped by the following ``next()``).
///
/// Every number taken from the stream is checked before it is used as a size, length or offset: sizes must lie in
/// `0...maxEntrySize`, PAX records must be well formed, and entries that carry no data must declare none.
final class TarReader {
    let source: GunzipSource
    /// The largest data size an entry may declare (the extraction's byte budget).
    let maxEntrySize: Int
    /// PAX and GNU long-name records may not exceed this (they are metadata, never file data).
    static let maxMetadataRecord = 1 << 20
    /// Metadata records (PAX `x`/`g`, GNU `L`/`K`) allowed in front of one entry; Petrel writes at most one.
    static let maxMetadataRecordsPerEntry = 4
    private var remaining = 0
    private var padding = 0

    init(source: GunzipSource, maxEntrySize: Int) {
        self.source = source
        self.maxEntrySize = max(0, maxEntrySize)
    }

    /// The next entry, or `nil` at the end of the archive.
    func next() throws(TarGzExtractionError) -> TarEntry? {
        try source.skip(remaining)
        try source.skip(padding)
        remaining = 0
        padding = 0
        var paxPath: String?
        var paxSize: Int?
        var longName: String?
        var metadataRecords = 0
        while true {
            guard let header = try source.read(512, allowEOF: true) else { return nil }
            if header.allSatisfy({ $0 == 0 }) { return nil }
            try Self.verifyChecksum(header)
            let type = header[156]
            let rawSize = try Self.number(header, 124, 12)
            let name = Self.headerName(header)
            switch type {
            case UInt8(ascii: "x"), UInt8(ascii: "g"), UInt8(ascii: "L"), UInt8(ascii: "K"):
                metadataRecords += 1
                guard metadataRecords <= Self.maxMetadataRecordsPerEntry else {
                    throw .corrupt("more than \(Self.maxMetadataRecordsPerEntry) metadata records before one entry")
                }
                let record = try readMetadata(size: rawSize, entry: name)
                if type == UInt8(ascii: "x") {
                    let fields = try Self.parsePAX(record)
                    paxPath = fields["path"] ?? paxPath
                    if let size = fields["size"] { paxSize = try checkedSize(size, entry: name) }
                } else if type == UInt8(ascii: "L") {
                    longName = String(decoding: record.prefix { $0 != 0 }, as: UTF8.self)
                }
                continue  // `g` (global) and `K` (long link name) records carry nothing Petrel uses.
            default:
                break
            }
            let kind: TarEntry.Kind =
                switch type {
                case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): .file
                case UInt8(ascii: "5"): .directory
                default: .other(type)
                }
            let entryName = paxPath ?? longName ?? name
            let size: Int
            if let paxSize { size = paxSize } else { size = try checkedSize(rawSize, entry: entryName) }
            if case .directory = kind, size != 0 {
                throw .corrupt("the directory entry '\(entryName.prefix(200))' declares \(size) bytes of data")
            }
            let entry = TarEntry(
                name: entryName, size: size, mode: (try? Self.number(header, 100, 8)) ?? 0o644, kind: kind)
            remaining = size
            padding = Self.padding(size)
            return entry
        }
    }

    /// The next piece of the current entry's data, or `nil` when it is all read.
    func readChunk() throws(TarGzExtractionError) -> [UInt8]? {
        guard remaining > 0 else { return nil }
        let chunk = try source.read(min(remaining, 64 * 1024), allowEOF: false) ?? []
        remaining -= chunk.count
        return chunk
    }

    /// `size` when it lies in `0...maxEntrySize`.
    private func checkedSize(_ size: Int, entry: String) throws(TarGzExtractionError) -> Int {
        guard size >= 0 else { throw .corrupt("entry '\(entry.prefix(200))' declares a negative size") }
        guard size <= maxEntrySize else {
            throw .limitExceeded(
                entry: String(entry.prefix(200)), detail: "it declares \(size) bytes, over the \(maxEntrySize)-byte limit")
        }
        return size
    }

    /// A PAX `size` value: decimal digits only.
    private func checkedSize(_ text: String, entry: String) throws(TarGzExtractionError) -> Int {
        guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let size = Int(text) else {
            throw .corrupt("entry '\(entry.prefix(200))' has the PAX size '\(text.prefix(40))', not a decimal number")
        }
        return try checkedSize(size, entry: entry)
    }

    private func readMetadata(size: Int, entry: String) throws(TarGzExtractionError) -> [UInt8] {
        guard size <= Self.maxMetadataRecord else {
            throw .limitExceeded(entry: String(entry.prefix(200)), detail: "a metadata record of \(size) bytes")
        }
        let record = try source.read(size, allowEOF: false) ?? []
        try source.skip(Self.padding(size))
        return record
    }

    /// The zero bytes after `size` bytes of data up to the next 512-byte block (`size` must not be negative).
    static func padding(_ size: Int) -> Int { (512 - size % 512) % 512 }

    static func field(_ header: [UInt8], _ offset: Int, _ length: Int) -> String {
        let bytes = header[offset..<(offset + length)].prefix { $0 != 0 }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func headerName(_ header: [UInt8]) -> String {
        let name = field(header, 0, 100)
        let magic = field(header, 257, 5)
        let prefix = magic == "ustar" ? field(header, 345, 155) : ""
        return prefix.isEmpty ? name : prefix + "/" + name
    }

    /// An octal (or GNU base-256) header field; never negative.
    static func number(_ header: [UInt8], _ offset: Int, _ length: Int) throws(TarGzExtractionError) -> Int {
        let bytes = header[offset..<(offset + length)]
        if let first = bytes.first, first & 0x80 != 0 {
            // GNU base-256: big-endian, first byte's high bit set; a set sign bit (0x40) is a negative number.
            guard first & 0x40 == 0 else { throw .corrupt("a numeric header field is negative") }
            var value = Int(first & 0x3f)
            for byte in bytes.dropFirst() {
                guard value <= (Int.max >> 8) else { throw .corrupt("a numeric header field overflows") }
                value = value << 8 | Int(byte)
            }
            return value
        }
        let text = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        if text.isEmpty { return 0 }
        guard let value = Int(text, radix: 8), value >= 0 else {
            throw .corrupt("header field '\(text.prefix(40))' is not an octal number")
        }
        return value
    }

    static func verifyChecksum(_ header: [UInt8]) throws(TarGzExtractionError) {
        let stored = try number(header, 148, 8)
        var sum = 0
        for (index, byte) in header.enumerated() { sum += (148..<156).contains(index) ? 32 : Int(byte) }
        guard sum == stored else {
            throw .corrupt("header checksum mismatch for '\(headerName(header).prefix(200))'")
        }
    }

    /// Parses `"<len> key=value\n"` records, where `<len>` (decimal) counts the whole record.
    ///
    /// - Throws: ``TarGzExtractionError/corrupt(_:)`` for a record whose length is not a decimal number, does not
    ///   fit the data, is too short to hold its own prefix, or that does not end in a newline or lacks `=`.
    static func parsePAX(_ record: [UInt8]) throws(TarGzExtractionError) -> [String: String] {
        var fields: [String: String] = [:]
        var index = 0
        while index < record.count {
            // Writers may pad the data with NULs; nothing follows them.
            if record[index...].allSatisfy({ $0 == 0 }) { break }
            let lengthEnd = record[index...].prefix(20).firstIndex(of: UInt8(ascii: " "))
            guard let space = lengthEnd, space > index,
                record[index..<space].allSatisfy({ (0x30...0x39).contains($0) }),
                let length = Int(String(decoding: record[index..<space], as: UTF8.self)),
                length >= space - index + 2, length <= record.count - index
            else { throw .corrupt("a PAX record at offset \(index) has an invalid length") }
            let end = index + length
            guard record[end - 1] == UInt8(ascii: "\n") else {
                throw .corrupt("a PAX record at offset \(index) does not end with a newline")
            }
            let body = record[(space + 1)..<(end - 1)]
            guard let equals = body.firstIndex(of: UInt8(ascii: "=")) else {
                throw .corrupt("a PAX record at offset \(index) has no '='")
            }
            fields[String(decoding: body[..<equals], as: UTF8.self)] = String(
                decoding: body[(equals + 1)...], as: UTF8.self)
            index = end
        }
        return fields
    }
}

/// Streams the decompressed bytes of a gzip file.
final class GunzipSource {
    private var stream = z_stream()
    private let handle: FileHandle
    private var input = [UInt8]()
    private var inputOffset = 0
    private var buffer = [UInt8]()
    private var bufferStart = 0
    private var ended = false
    private var initialised = false

    init(file: URL) throws(TarGzExtractionError) {
        guard let handle = FileHandle(forReadingAtPath: file.path) else {
            throw .corrupt("cannot open '\(file.lastPathComponent)'")
        }
        self.handle = handle
        // inflateInit2 is a macro; call the function it expands to. 15 + 32: zlib or gzip header, detected.
        let status = inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw .corrupt("zlib inflateInit2 failed (\(status))") }
        initialised = true
    }

    deinit {
        if initialised { inflateEnd(&stream) }
        try? handle.close()
    }

    /// Exactly `count` bytes; `nil` at a clean end of stream when `allowEOF` (and nothing was read).
    func read(_ count: Int, allowEOF: Bool) throws(TarGzExtractionError) -> [UInt8]? {
        while buffer.count - bufferStart < count {
            if ended {
                if allowEOF && buffer.count == bufferStart { return nil }
                throw .corrupt("the archive is truncated")
            }
            try inflateMore()
        }
        let bytes = Array(buffer[bufferStart..<(bufferStart + count)])
        bufferStart += count
        if bufferStart > 256 * 1024 {
            buffer.removeFirst(bufferStart)
            bufferStart = 0
        }
        return bytes
    }

    /// Discards `count` bytes.
    func skip(_ count: Int) throws(TarGzExtractionError) {
        var left = count
        while left > 0 {
            let step = min(left, 64 * 1024)
            _ = try read(step, allowEOF: false)
            left -= step
        }
    }

    private func inflateMore() throws(TarGzExtractionError) {
        if inputOffset >= input.count {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 64 * 1024) ?? Data() } catch {
                throw .corrupt("cannot read the archive: \(error)")
            }
            guard !chunk.isEmpty else { throw .corrupt("the gzip stream ends early") }
            input = Array(chunk)
            inputOffset = 0
        }
        var output = [UInt8](repeating: 0, count: 64 * 1024)
        let capacity = output.count
        let offset = inputOffset
        let (status, produced, consumed) = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress.map { $0 + offset }
                stream.avail_in = uInt(inBuffer.count - offset)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = uInt(capacity)
                let status = inflate(&stream, Z_NO_FLUSH)
                let consumed = inBuffer.count - offset - Int(stream.avail_in)
                stream.next_in = nil
                stream.next_out = nil
                return (status, capacity - Int(stream.avail_out), consumed)
            }
        }
        inputOffset += consumed
        switch status {
        case Z_OK: break
        case Z_BUF_ERROR where produced > 0 || consumed > 0: break
        case Z_STREAM_END: ended = true
        default: throw .corrupt("the gzip stream is damaged (zlib status \(status))")
        }
        buffer.append(contentsOf: output[0..<produced])
    }
}

/// Computes an artifact digest (`sha256:<hex>`) over bytes fed in pieces, e.g. while downloading.
public struct ArtifactDigester {
    private var hasher = SHA256()

    /// A digester with nothing fed yet.
    public init() {}

    /// Feeds `bytes`.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) { hasher.update(bufferPointer: bytes) }

    /// `sha256:<lowercase hex>` of everything fed.
    public func finalize() -> String {
        "sha256:" + hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
