import CZlib
import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Bounds on what ``TarGzExtractor`` accepts.
public struct ExtractionLimits: Sendable, Equatable {
    /// The most entries (files, directories, links) an archive may hold. Default 100,000.
    public var maxEntries: Int
    /// The most uncompressed file bytes an archive may expand to. Default 1 GiB; an artifact of manifests is
    /// usually a few MiB, so a lower bound protects the controller's disk and memory better.
    public var maxTotalBytes: Int

    /// Limits with the given bounds.
    public init(maxEntries: Int = 100_000, maxTotalBytes: Int = 1 << 30) {
        self.maxEntries = maxEntries
        self.maxTotalBytes = maxTotalBytes
    }
}

/// What an extraction wrote.
public struct ExtractionSummary: Sendable, Equatable {
    /// Entries written (files, directories and links).
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
    /// The entry is a device, FIFO or another type that is never extracted.
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
/// ## Guarantees
/// - Nothing is written outside the folder: absolute names and `..` components are refused; directories and
///   files are opened without following symlinks; symlinks are created last, only when their target stays inside
///   the folder, and each is checked again once all exist; hard links are copies of an already extracted file.
/// - Devices, FIFOs and unknown entry types are refused.
/// - At most ``ExtractionLimits/maxEntries`` entries and ``ExtractionLimits/maxTotalBytes`` file bytes.
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
            let reader = TarReader(source: source)
            while let entry = try reader.next() {
                try writer.write(entry, from: reader)
            }
            try writer.finish()
            return ExtractionSummary(entries: writer.entries, bytes: writer.bytes)
        } catch {
            try? fileManager.removeItem(at: directory)
            throw error
        }
    }
}

/// Writes entries under a root, enforcing the path rules and limits.
///
/// Symlinks are only recorded during the pass and created by ``finish()``, so no write of a file or directory can
/// traverse one.
struct ExtractionWriter {
    let root: String
    let limits: ExtractionLimits
    private(set) var entries = 0
    private(set) var bytes = 0
    private var files = Set<String>()
    private var symlinks: [(path: String, target: String)] = []

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
            files.insert(relative)
        case .symlink:
            let target = entry.linkName
            guard !target.hasPrefix("/") else {
                throw .unsafePath(entry: entry.name, detail: "symlink to the absolute path '\(target)'")
            }
            guard Self.resolve(target, from: Self.parent(relative)) != nil, !target.isEmpty else {
                throw .unsafePath(entry: entry.name, detail: "symlink to '\(target)' leaves the folder")
            }
            symlinks.append((relative, target))
        case .hardLink:
            let target = try Self.safeRelativePath(entry.linkName, entry: entry.name) ?? ""
            guard files.contains(target) else {
                throw .unsafePath(
                    entry: entry.name,
                    detail: "hard link to '\(entry.linkName)', which is not a file extracted before it")
            }
            try makeDirectory(Self.parent(relative), entry: entry.name)
            guard let input = FileHandle(forReadingAtPath: root + "/" + target) else {
                throw .writeFailed(entry: entry.name, detail: "cannot read the link target '\(target)'")
            }
            defer { try? input.close() }
            try writeFile(relative, entry: entry.name, mode: 0o644) { () throws(TarGzExtractionError) in
                let chunk = try? input.read(upToCount: 64 * 1024)
                return chunk.flatMap { $0.isEmpty ? nil : Array($0) }
            }
            files.insert(relative)
        case .other(let type):
            throw .unsupportedEntry(entry: entry.name, type: Self.describe(type))
        }
    }

    /// Creates the recorded symlinks, then checks that each resolves inside the root.
    mutating func finish() throws(TarGzExtractionError) {
        for (path, target) in symlinks {
            try makeDirectory(Self.parent(path), entry: path)
            try refuseSymlinkAncestors(path)
            let full = root + "/" + path
            var info = stat()
            if lstat(full, &info) == 0 {
                guard info.st_mode & S_IFMT != S_IFDIR, unlink(full) == 0 else {
                    throw .writeFailed(entry: path, detail: "a directory of that name exists")
                }
                files.remove(path)
            }
            guard symlink(target, full) == 0 else {
                throw .writeFailed(
                    entry: path, detail: "cannot create the symlink: \(String(cString: strerror(errno)))")
            }
        }
        guard !symlinks.isEmpty else { return }
        let realRoot = Self.realPath(root) ?? root
        for (path, target) in symlinks {
            guard let resolved = Self.realPath(root + "/" + path) else { continue }  // dangling, lexically inside
            guard resolved == realRoot || resolved.hasPrefix(realRoot + "/") else {
                throw .unsafePath(entry: path, detail: "symlink to '\(target)' resolves outside the folder")
            }
        }
    }

    private func refuseSymlinkAncestors(_ path: String) throws(TarGzExtractionError) {
        var current = root
        for component in Self.parent(path).split(separator: "/") {
            current += "/" + component
            var info = stat()
            if lstat(current, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
                throw .unsafePath(entry: path, detail: "its parent '\(component)' is a symlink")
            }
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

    /// `target` resolved lexically from the folder `directory` (relative to the root); `nil` when it leaves the root.
    static func resolve(_ target: String, from directory: String) -> String? {
        var stack = directory.split(separator: "/").map(String.init)
        for component in target.split(separator: "/") where component != "." {
            if component == ".." {
                guard !stack.isEmpty else { return nil }
                stack.removeLast()
            } else {
                stack.append(String(component))
            }
        }
        return stack.joined(separator: "/")
    }

    static func parent(_ relative: String) -> String {
        guard let slash = relative.lastIndex(of: "/") else { return "" }
        return String(relative[..<slash])
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func describe(_ type: UInt8) -> String {
        switch type {
        case UInt8(ascii: "3"): "character device"
        case UInt8(ascii: "4"): "block device"
        case UInt8(ascii: "6"): "FIFO"
        default: "type '\(String(decoding: [type], as: UTF8.self))'"
        }
    }
}

/// One tar header, after PAX and GNU long-name records were folded in.
struct TarEntry {
    enum Kind {
        case file, directory, symlink, hardLink
        case other(UInt8)
    }
    var name: String
    var linkName: String
    var size: Int
    var mode: Int
    var kind: Kind
}

/// Reads tar entries from a decompressed byte stream: call ``next()`` for each header, then ``readChunk()`` until
/// it returns `nil` for the entry's data (unread data is skipped by the following ``next()``).
final class TarReader {
    let source: GunzipSource
    /// PAX and GNU long-name records may not exceed this (they are metadata, never file data).
    static let maxMetadataRecord = 1 << 20
    private var remaining = 0
    private var padding = 0

    init(source: GunzipSource) { self.source = source }

    /// The next entry, or `nil` at the end of the archive.
    func next() throws(TarGzExtractionError) -> TarEntry? {
        try source.skip(remaining + padding)
        remaining = 0
        padding = 0
        var paxPath: String?
        var paxLink: String?
        var paxSize: Int?
        var longName: String?
        var longLink: String?
        while true {
            guard let header = try source.read(512, allowEOF: true) else { return nil }
            if header.allSatisfy({ $0 == 0 }) { return nil }
            try Self.verifyChecksum(header)
            let type = header[156]
            let rawSize = try Self.number(header, 124, 12)
            let name = Self.headerName(header)
            switch type {
            case UInt8(ascii: "x"), UInt8(ascii: "g"):
                let record = try readMetadata(size: rawSize, entry: name)
                guard type == UInt8(ascii: "x") else { continue }
                let fields = Self.parsePAX(record)
                paxPath = fields["path"] ?? paxPath
                paxLink = fields["linkpath"] ?? paxLink
                if let size = fields["size"] { paxSize = Int(size) }
                continue
            case UInt8(ascii: "L"), UInt8(ascii: "K"):
                let record = try readMetadata(size: rawSize, entry: name)
                let text = String(decoding: record.prefix { $0 != 0 }, as: UTF8.self)
                if type == UInt8(ascii: "L") { longName = text } else { longLink = text }
                continue
            default:
                break
            }
            let kind: TarEntry.Kind =
                switch type {
                case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): .file
                case UInt8(ascii: "5"): .directory
                case UInt8(ascii: "2"): .symlink
                case UInt8(ascii: "1"): .hardLink
                default: .other(type)
                }
            let size = paxSize ?? rawSize
            let entry = TarEntry(
                name: paxPath ?? longName ?? name, linkName: paxLink ?? longLink ?? Self.field(header, 157, 100),
                size: size, mode: (try? Self.number(header, 100, 8)) ?? 0o644, kind: kind)
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

    private func readMetadata(size: Int, entry: String) throws(TarGzExtractionError) -> [UInt8] {
        guard size <= Self.maxMetadataRecord else {
            throw .limitExceeded(entry: entry, detail: "a metadata record of \(size) bytes")
        }
        let record = try source.read(size, allowEOF: false) ?? []
        try source.skip(Self.padding(size))
        return record
    }

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

    static func number(_ header: [UInt8], _ offset: Int, _ length: Int) throws(TarGzExtractionError) -> Int {
        let bytes = Array(header[offset..<(offset + length)])
        if let first = bytes.first, first & 0x80 != 0 {
            // GNU base-256: big-endian, first byte's high bit set.
            var value = Int(first & 0x7f)
            for byte in bytes.dropFirst() {
                guard value < (Int.max >> 8) else { throw .corrupt("a numeric header field overflows") }
                value = value << 8 | Int(byte)
            }
            return value
        }
        let text = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        if text.isEmpty { return 0 }
        guard let value = Int(text, radix: 8), value >= 0 else {
            throw .corrupt("header field '\(text)' is not an octal number")
        }
        return value
    }

    static func verifyChecksum(_ header: [UInt8]) throws(TarGzExtractionError) {
        let stored = try number(header, 148, 8)
        var sum = 0
        for (index, byte) in header.enumerated() { sum += (148..<156).contains(index) ? 32 : Int(byte) }
        guard sum == stored else { throw .corrupt("header checksum mismatch for '\(headerName(header))'") }
    }

    /// Parses `"<len> key=value\n"` records.
    static func parsePAX(_ record: [UInt8]) -> [String: String] {
        var fields: [String: String] = [:]
        var index = 0
        while index < record.count {
            guard let space = record[index...].firstIndex(of: UInt8(ascii: " ")),
                let length = Int(String(decoding: record[index..<space], as: UTF8.self)), length > 0,
                index + length <= record.count
            else { break }
            let body = record[(space + 1)..<(index + length - 1)]
            if let equals = body.firstIndex(of: UInt8(ascii: "=")) {
                fields[String(decoding: body[..<equals], as: UTF8.self)] = String(
                    decoding: body[(equals + 1)...], as: UTF8.self)
            }
            index += length
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
