import CZlib
import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Digest and size of a written archive.
public struct ArchiveSummary: Sendable, Equatable {
    /// `sha256:<hex>` of the `.tar.gz` bytes.
    public var digest: String
    /// Size of the `.tar.gz` file in bytes.
    public var size: Int
}

/// Writes a deterministic `.tar.gz` of a directory tree.
///
/// Entries are sorted by name (bytewise), owned by uid/gid 0 with no user/group names, mtime 0; modes are
/// normalised to 0755 for directories and executables and 0644 for other files. Symlinks, sockets, devices and
/// FIFOs are dropped (as Flux does), so nothing in the archive can point outside it. Paths excluded by the
/// ``IgnoreRules`` (and the contents of excluded directories) are left out; `.sourceignore` files are read as
/// the walk reaches their directory. gzip comes from zlib with a zero header mtime, so the same tree always gives
/// the same bytes and digest.
public enum TarGzArchiver {
    /// Archives `directory` into `file` (overwritten).
    ///
    /// - Throws: ``GitSourceError/archiveFailed(_:)``.
    @discardableResult
    public static func archive(directory: URL, to file: URL, rules: IgnoreRules = IgnoreRules()) throws -> ArchiveSummary {
        let handle = try createArchiveFile(file)
        defer { try? handle.close() }
        let sink = try GzipSink(handle: handle)
        let tar = TarWriter(sink: sink)
        try walk(root: directory.path, relative: [], rules: rules, tar: tar)
        try tar.finish()
        return try sink.finish()
    }

    static func walk(root: String, relative: [String], rules: IgnoreRules, tar: TarWriter) throws {
        let dirPath = ([root] + relative).joined(separator: "/")
        var rules = rules
        let ignoreFile = dirPath + "/" + IgnoreRules.sourceIgnoreFile
        if let text = try? String(contentsOfFile: ignoreFile, encoding: .utf8) {
            rules = rules.adding(sourceIgnore: IgnoreRules.parse(text, domain: relative))
        }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: dirPath) } catch {
            throw GitSourceError.archiveFailed("cannot list '\(relative.joined(separator: "/"))': \(error)")
        }
        for name in names.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            let path = relative + [name]
            let fullPath = dirPath + "/" + name
            var info = stat()
            guard lstat(fullPath, &info) == 0 else {
                throw GitSourceError.archiveFailed("cannot stat '\(path.joined(separator: "/"))'")
            }
            let type = info.st_mode & S_IFMT
            if type == S_IFDIR {
                if rules.isIgnored(path, isDirectory: true) { continue }
                try tar.addDirectory(path.joined(separator: "/"))
                try walk(root: root, relative: path, rules: rules, tar: tar)
            } else if type == S_IFREG {
                if rules.isIgnored(path, isDirectory: false) { continue }
                let executable = info.st_mode & 0o111 != 0
                try tar.addFile(path.joined(separator: "/"), at: fullPath, size: Int(info.st_size), executable: executable)
            }
            // Symlinks and special files are dropped.
        }
    }
}

/// Streams bytes through zlib's gzip encoder into a file, hashing and counting the compressed output.
final class GzipSink {
    private var stream = z_stream()
    private let handle: FileHandle
    private var hasher = SHA256()
    private var size = 0
    private var output = [UInt8](repeating: 0, count: 64 * 1024)

    /// zlib level 6, what `gzip` and `tar czf` use.
    static let defaultLevel: Int32 = 6

    init(handle: FileHandle, level: Int32 = GzipSink.defaultLevel) throws {
        self.handle = handle
        guard (1...9).contains(level), petrel_deflate_init_gzip(&stream, level) == Z_OK else {
            throw GitSourceError.archiveFailed("zlib deflateInit2 failed (gzip level \(level))")
        }
    }

    deinit { deflateEnd(&stream) }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(bytes.count)
        try pump(flush: Z_NO_FLUSH)
    }

    func finish() throws -> ArchiveSummary {
        stream.next_in = nil
        stream.avail_in = 0
        try pump(flush: Z_FINISH)
        let hex = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        return ArchiveSummary(digest: "sha256:\(hex)", size: size)
    }

    /// Writes all of `bytes`; a full volume is a ``GitSourceError/storageFailed(_:)`` that says so.
    static func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) throws {
        var written = 0
        while written < bytes.count {
            let result = Glibc.write(descriptor, bytes.baseAddress.map { $0 + written }, bytes.count - written)
            if result > 0 {
                written += result
                continue
            }
            if result < 0, errno == EINTR { continue }
            let code = result < 0 ? errno : EIO
            if code == ENOSPC || code == EDQUOT {
                throw GitSourceError.storageFailed(
                    "the artifact storage is full (\(String(cString: strerror(code)))); the previous artifact is kept. "
                        + "Free space or raise the storage volume's size (the chart's storage.sizeLimit)")
            }
            throw GitSourceError.archiveFailed("cannot write the archive: \(String(cString: strerror(code)))")
        }
    }

    private func pump(flush: Int32) throws {
        let capacity = output.count
        while true {
            let (status, produced) = output.withUnsafeMutableBufferPointer { buffer in
                stream.next_out = buffer.baseAddress
                stream.avail_out = uInt(capacity)
                let status = deflate(&stream, flush)
                return (status, capacity - Int(stream.avail_out))
            }
            if status == Z_STREAM_ERROR { throw GitSourceError.archiveFailed("zlib deflate failed") }
            if produced > 0 {
                try output.withUnsafeBytes { buffer in
                    let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<produced])
                    hasher.update(bufferPointer: chunk)
                    try Self.writeAll(chunk, to: handle.fileDescriptor)
                }
                size += produced
            }
            if flush == Z_FINISH {
                if status == Z_STREAM_END { return }
            } else if stream.avail_in == 0, produced < capacity {
                return
            }
        }
    }
}

/// Writes ustar entries (with a PAX `path` record for long names) to a ``GzipSink``.
final class TarWriter {
    let sink: GzipSink

    init(sink: GzipSink) { self.sink = sink }

    func addDirectory(_ name: String) throws {
        try writeHeader(name: name + "/", mode: 0o755, size: 0, type: UInt8(ascii: "5"))
    }

    func addFile(_ name: String, at path: String, size: Int, executable: Bool) throws {
        try writeHeader(name: name, mode: executable ? 0o755 : 0o644, size: size, type: UInt8(ascii: "0"))
        guard let input = FileHandle(forReadingAtPath: path) else {
            throw GitSourceError.archiveFailed("cannot read '\(name)'")
        }
        defer { try? input.close() }
        var written = 0
        while written < size {
            let chunk: Data
            do { chunk = try input.read(upToCount: min(64 * 1024, size - written)) ?? Data() } catch {
                throw GitSourceError.archiveFailed("cannot read '\(name)': \(error)")
            }
            if chunk.isEmpty { throw GitSourceError.archiveFailed("'\(name)' changed while archiving") }
            try chunk.withUnsafeBytes { try sink.write($0) }
            written += chunk.count
        }
        try pad(size)
    }

    /// Adds a regular file whose bytes are in memory (a blob from the object database).
    func addFile(_ name: String, contents: UnsafeRawBufferPointer, executable: Bool) throws {
        try writeHeader(name: name, mode: executable ? 0o755 : 0o644, size: contents.count, type: UInt8(ascii: "0"))
        try sink.write(contents)
        try pad(contents.count)
    }

    func finish() throws {
        try [UInt8](repeating: 0, count: 1024).withUnsafeBytes { try sink.write($0) }
    }

    private func pad(_ size: Int) throws {
        let remainder = size % 512
        if remainder != 0 {
            try [UInt8](repeating: 0, count: 512 - remainder).withUnsafeBytes { try sink.write($0) }
        }
    }

    private func writeHeader(name: String, mode: Int, size: Int, type: UInt8) throws {
        let bytes = Array(name.utf8)
        var headerName = bytes
        var prefix: [UInt8] = []
        if bytes.count > 100 {
            if let split = Self.split(bytes) {
                (prefix, headerName) = split
            } else {
                let record = Self.paxRecord(key: "path", value: bytes)
                try writeRawHeader(
                    name: Array("PaxHeaders/path".utf8), prefix: [], mode: 0o644,
                    size: record.count, type: UInt8(ascii: "x"))
                try record.withUnsafeBytes { try sink.write($0) }
                try pad(record.count)
                headerName = Array(bytes.suffix(100))
            }
        }
        try writeRawHeader(name: headerName, prefix: prefix, mode: mode, size: size, type: type)
    }

    /// Splits a long name into ustar prefix (≤155) and name (≤100) at a `/`.
    static func split(_ bytes: [UInt8]) -> ([UInt8], [UInt8])? {
        for index in bytes.indices.reversed() where bytes[index] == UInt8(ascii: "/") {
            let prefix = Array(bytes[..<index])
            let name = Array(bytes[(index + 1)...])
            if prefix.count <= 155, name.count <= 100, !name.isEmpty { return (prefix, name) }
        }
        return nil
    }

    /// A PAX record `"<len> key=value\n"` where len counts the whole record.
    static func paxRecord(key: String, value: [UInt8]) -> [UInt8] {
        let body = Array(" \(key)=".utf8) + value + [UInt8(ascii: "\n")]
        var length = body.count + 1
        while String(length).utf8.count + body.count != length { length = String(length).utf8.count + body.count }
        return Array(String(length).utf8) + body
    }

    private func writeRawHeader(name: [UInt8], prefix: [UInt8], mode: Int, size: Int, type: UInt8) throws {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ bytes: [UInt8], at offset: Int, max: Int) {
            for (index, byte) in bytes.prefix(max).enumerated() { header[offset + index] = byte }
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            let digits = String(value, radix: 8)
            let padded = String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits
            put(Array(padded.utf8), at: offset, max: width - 1)
        }
        put(name, at: 0, max: 100)
        octal(mode, at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        octal(size, at: 124, width: 12)
        octal(0, at: 136, width: 12)
        header[156] = type
        put(Array("ustar\0".utf8), at: 257, max: 6)
        put(Array("00".utf8), at: 263, max: 2)
        put(prefix, at: 345, max: 155)
        for index in 148..<156 { header[index] = UInt8(ascii: " ") }
        let checksum = header.reduce(0) { $0 + Int($1) }
        let digits = String(checksum, radix: 8)
        put(Array((String(repeating: "0", count: max(0, 6 - digits.count)) + digits).utf8), at: 148, max: 6)
        header[154] = 0
        header[155] = UInt8(ascii: " ")
        try header.withUnsafeBytes { try sink.write($0) }
    }
}

/// Creates (or truncates) `file` and opens it for writing an archive.
/// - Throws: ``GitSourceError/archiveFailed(_:)`` naming the file.
func createArchiveFile(_ file: URL) throws(GitSourceError) -> FileHandle {
    guard FileManager.default.createFile(atPath: file.path, contents: nil) else {
        throw .archiveFailed("cannot create '\(file.lastPathComponent)'")
    }
    do { return try FileHandle(forWritingTo: file) } catch {
        throw .archiveFailed("cannot open '\(file.lastPathComponent)': \(error)")
    }
}
