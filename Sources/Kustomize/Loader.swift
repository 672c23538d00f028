import Foundation
#if canImport(Glibc)
import Glibc

private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    Glibc.read(descriptor, buffer, count)
}
#elseif canImport(Musl)
import Musl

private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    Musl.read(descriptor, buffer, count)
}
#endif

/// Reads files for a build, confined to one root directory.
///
/// Every path is resolved (including symlinks) and refused if it leaves the root. Files are bounded in size.
struct Loader: Sendable {
    /// The canonical root directory.
    let root: String
    /// The largest file read, in bytes.
    let maxFileSize: Int
    /// Which files a kustomization may read besides its own directory's (see `resolveFile`).
    var restrictor: LoadRestrictor = .rootOnly

    init(root: URL, maxFileSize: Int, restrictor: LoadRestrictor = .rootOnly) throws(KustomizeError) {
        let resolved = root.standardizedFileURL.resolvingSymlinksInPath().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .fileNotFound(path: root.path)
        }
        self.root = resolved
        self.maxFileSize = maxFileSize
        self.restrictor = restrictor
    }

    /// The path relative to the root, for messages.
    func relative(_ absolute: String) -> String {
        if absolute == root { return "." }
        if absolute.hasPrefix(root + "/") { return String(absolute.dropFirst(root.count + 1)) }
        return absolute
    }

    /// Resolves `path` (relative to the directory `base`, an absolute path inside the root) to a canonical path.
    func resolve(_ path: String, from base: String) throws(KustomizeError) -> String {
        let joined = path.hasPrefix("/") ? path : base + "/" + path
        let lexical = URL(fileURLWithPath: joined).standardizedFileURL.path
        guard isInside(lexical) else { throw .pathEscapesRoot(path: path) }
        guard FileManager.default.fileExists(atPath: lexical) else { throw .fileNotFound(path: relative(lexical)) }
        let real = URL(fileURLWithPath: lexical).resolvingSymlinksInPath().path
        guard isInside(real) else { throw .pathEscapesRoot(path: relative(lexical)) }
        return real
    }

    private func isInside(_ path: String) -> Bool { path == root || path.hasPrefix(root + "/") }

    func isDirectory(_ path: String) -> Bool {
        var flag: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &flag) && flag.boolValue
    }

    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    /// The bytes of a file inside the root.
    ///
    /// Read with `open`/`fstat`/`read`: `FileManager.attributesOfItem` looks the owner and group up in the user
    /// database (`/etc/passwd`, `/etc/group`, NSS) on every call, which cost more than the read itself.
    func read(_ path: String) throws(KustomizeError) -> Data {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .fileNotFound(path: relative(path)) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw .fileNotFound(path: relative(path)) }
        let size = Int(info.st_size)
        if size > maxFileSize { throw .fileTooLarge(path: relative(path), limit: maxFileSize) }
        // Read to the end (the size may change under us; never past the bound).
        var bytes = [UInt8](repeating: 0, count: max(size, 0) + 1)
        var count = 0
        while true {
            if count == bytes.count {
                guard count <= maxFileSize else { throw .fileTooLarge(path: relative(path), limit: maxFileSize) }
                bytes.append(contentsOf: repeatElement(0, count: max(4096, count)))
            }
            let chunk = bytes.withUnsafeMutableBytes { buffer in
                systemRead(descriptor, buffer.baseAddress.map { $0 + count }, buffer.count - count)
            }
            if chunk < 0 {
                if errno == EINTR { continue }
                throw .fileNotFound(path: relative(path))
            }
            if chunk == 0 { break }
            count += chunk
        }
        guard count <= maxFileSize else { throw .fileTooLarge(path: relative(path), limit: maxFileSize) }
        try BuildMeter.current?.charge(bytes: count, path: relative(path))
        return Data(bytes[..<count])
    }

    /// The text of a UTF-8 file inside the root.
    func readText(_ path: String) throws(KustomizeError) -> String {
        let data = try read(path)
        guard let text = String(data: data, encoding: .utf8) else {
            throw .malformedYAML(file: relative(path), line: nil, detail: "file is not UTF-8")
        }
        return text
    }

    /// The entries of a directory, sorted by name.
    func list(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    /// The kustomization file in `directory`, if any, resolved like every other path: a symlink that leaves the
    /// root (e.g. to `~/.kube/config` or `/proc/self/environ`) is refused, never read.
    ///
    /// - Throws: ``KustomizeError/pathEscapesRoot(path:)``.
    func kustomizationFile(in directory: String) throws(KustomizeError) -> String? {
        for name in ["kustomization.yaml", "kustomization.yml", "Kustomization"] {
            let candidate = directory + "/" + name
            if FileManager.default.fileExists(atPath: candidate) { return try resolve(name, from: directory) }
        }
        return nil
    }
}
