import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An archived revision in the storage, as Flux's `meta.Artifact`.
public struct StoredArtifact: Sendable, Equatable {
    /// Path relative to the storage root: `<kind>/<namespace>/<name>/<file>`.
    public var path: String
    /// The revision the archive was built from (`main@sha1:…`).
    public var revision: String
    /// `sha256:<hex>` of the file.
    public var digest: String
    /// File size in bytes.
    public var size: Int
    /// When the file was written.
    public var lastUpdateTime: Date

    /// An artifact record with every field given (e.g. rebuilt from a status).
    public init(path: String, revision: String, digest: String, size: Int, lastUpdateTime: Date) {
        self.path = path
        self.revision = revision
        self.digest = digest
        self.size = size
        self.lastUpdateTime = lastUpdateTime
    }
}

/// The artifact storage folder: `<root>/<kind>/<namespace>/<name>/<revision-hash>.tar.gz`, plus a
/// `latest.tar.gz` symlink to the newest archive in each object folder.
///
/// ## Guarantees
/// - Every path is confined to the root: components must be non-empty and contain no `/`, NUL, or `.`/`..`.
/// - Archives are written to a temporary file in the object folder, then renamed into place (atomic).
/// - ``garbageCollect(kind:namespace:name:current:keep:)`` never deletes the current artifact.
public struct ArtifactStore: Sendable {
    /// The storage root.
    public let root: URL

    /// Creates a store over `root` (created when missing).
    public init(root: URL) throws {
        self.root = root.standardizedFileURL
        do { try FileManager.default.createDirectory(at: self.root, withIntermediateDirectories: true) } catch {
            throw GitSourceError.storageFailed("cannot create storage root: \(error)")
        }
    }

    /// The object folder, relative to the root. - Throws: ``GitSourceError/invalidPath(_:)``.
    public func objectPath(kind: String, namespace: String, name: String) throws -> String {
        for component in [kind, namespace, name] { try Self.validate(component) }
        return "\(kind.lowercased())/\(namespace)/\(name)"
    }

    /// The artifact path for a revision hash, relative to the root.
    public func artifactPath(kind: String, namespace: String, name: String, revisionHash: String) throws -> String {
        let file = "\(revisionHash).tar.gz"
        try Self.validate(file)
        return try objectPath(kind: kind, namespace: namespace, name: name) + "/" + file
    }

    /// The absolute URL of a relative path, checked to stay inside the root.
    public func absoluteURL(_ relativePath: String) throws -> URL {
        let components = relativePath.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        for component in components { try Self.validate(component) }
        let url = root.appendingPathComponent(relativePath).standardizedFileURL
        guard url.path.hasPrefix(root.path + "/") else {
            throw GitSourceError.invalidPath("'\(relativePath)' escapes the storage root")
        }
        return url
    }

    static func validate(_ component: String) throws {
        if component.isEmpty || component == "." || component == ".." || component.contains("/")
            || component.contains("\0")
        {
            throw GitSourceError.invalidPath("'\(component)' is not a valid path component")
        }
    }

    /// Archives `directory` (minus ignored paths) as the artifact for `revision`.
    ///
    /// - Parameter revisionHash: the file name stem, normally the commit hash.
    /// - Throws: ``GitSourceError``.
    public func store(
        directory: URL, kind: String, namespace: String, name: String, revision: String, revisionHash: String,
        rules: IgnoreRules = IgnoreRules()
    ) throws -> StoredArtifact {
        try store(kind: kind, namespace: namespace, name: name, revision: revision, revisionHash: revisionHash) {
            try TarGzArchiver.archive(directory: directory, to: $0, rules: rules)
        }
    }

    /// Archives the tree of `commit` straight from the (bare) repository at `repository`, without a checkout;
    /// the bytes equal those ``store(directory:kind:namespace:name:revision:revisionHash:rules:)`` writes for a
    /// checkout of the same commit.
    ///
    /// - Parameter revisionHash: the file name stem, normally the commit hash.
    /// - Throws: ``GitSourceError``.
    public func store(
        repository: URL, commit: String, kind: String, namespace: String, name: String, revision: String,
        revisionHash: String, rules: IgnoreRules = IgnoreRules(), recurseSubmodules: Bool = false,
        limits: ExtractionLimits = ExtractionLimits(), budget: ArchiveBudget = ArchiveBudget()
    ) throws -> StoredArtifact {
        try store(kind: kind, namespace: namespace, name: name, revision: revision, revisionHash: revisionHash) {
            try TreeArchiver.archive(
                repository: repository, commit: commit, to: $0, rules: rules, recurseSubmodules: recurseSubmodules,
                limits: limits, budget: budget)
        }
    }

    private func store(
        kind: String, namespace: String, name: String, revision: String, revisionHash: String,
        write: (URL) throws -> ArchiveSummary
    ) throws -> StoredArtifact {
        let relative = try artifactPath(kind: kind, namespace: namespace, name: name, revisionHash: revisionHash)
        let target = try absoluteURL(relative)
        let folder = target.deletingLastPathComponent()
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw GitSourceError.storageFailed("cannot create '\(folder.lastPathComponent)': \(error)")
        }
        let temporary = folder.appendingPathComponent(".tmp-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: temporary) }
        let summary = try write(temporary)
        guard rename(temporary.path, target.path) == 0 else {
            throw GitSourceError.storageFailed("cannot move the archive into place (errno \(errno))")
        }
        let latest = folder.appendingPathComponent("latest.tar.gz")
        let link = folder.appendingPathComponent(".tmp-link-\(UUID().uuidString)")
        if symlink(target.lastPathComponent, link.path) != 0 || rename(link.path, latest.path) != 0 {
            try? FileManager.default.removeItem(at: link)
            throw GitSourceError.storageFailed("cannot update latest.tar.gz (errno \(errno))")
        }
        return StoredArtifact(
            path: relative, revision: revision, digest: summary.digest, size: summary.size, lastUpdateTime: Date())
    }

    /// Whether the artifact file exists.
    public func exists(_ artifact: StoredArtifact) -> Bool {
        guard let url = try? absoluteURL(artifact.path) else { return false }
        return FileManager.default.fileExists(atPath: url.path)
    }

    /// Deletes old archives of one object, keeping `current` and the newest others up to `keep` files in all, and
    /// the object's leftover `.tmp-*` files (reconciles of one object never overlap, so none is in use here); then
    /// sweeps stale fetch folders from `$TMPDIR` (``StaleFiles``).
    ///
    /// Symlinks are ignored. - Returns: the deleted paths, relative to the root.
    @discardableResult
    public func garbageCollect(
        kind: String, namespace: String, name: String, current: StoredArtifact, keep: Int = 2
    ) throws -> [String] {
        let folderPath = try objectPath(kind: kind, namespace: namespace, name: name)
        let folder = try absoluteURL(folderPath)
        let currentFile = (current.path as NSString).lastPathComponent
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        var candidates: [(name: String, modified: Date)] = []
        for file in names where file.hasSuffix(".tar.gz") && file != currentFile && !file.hasPrefix(".") {
            let url = folder.appendingPathComponent(file)
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
                attributes[.type] as? FileAttributeType == .typeRegular
            else { continue }
            candidates.append((file, attributes[.modificationDate] as? Date ?? .distantPast))
        }
        candidates.sort { $0.modified != $1.modified ? $0.modified > $1.modified : $0.name > $1.name }
        var deleted: [String] = []
        for file in names where file.hasPrefix(".tmp-") {
            if (try? FileManager.default.removeItem(at: folder.appendingPathComponent(file))) != nil {
                deleted.append(folderPath + "/" + file)
            }
        }
        StaleFiles.removeStale(prefixes: StaleFiles.fetchPrefixes)
        for candidate in candidates.dropFirst(max(0, keep - 1)) {
            do { try FileManager.default.removeItem(at: folder.appendingPathComponent(candidate.name)) } catch {
                throw GitSourceError.storageFailed("cannot delete '\(candidate.name)': \(error)")
            }
            deleted.append(folderPath + "/" + candidate.name)
        }
        return deleted
    }

    /// Removes `.tmp-*` files left in object folders (`<kind>/<namespace>/<name>/`) by a crash, once they are older
    /// than `age`; run at start-up.
    ///
    /// - Returns: the removed paths, relative to the root.
    @discardableResult
    public func removeStaleTemporaryFiles(olderThan age: Duration = StaleFiles.staleAge, now: Date = Date()) -> [String] {
        var removed: [String] = []
        let manager = FileManager.default
        for kind in (try? manager.contentsOfDirectory(atPath: root.path)) ?? [] {
            let kindURL = root.appendingPathComponent(kind)
            for namespace in (try? manager.contentsOfDirectory(atPath: kindURL.path)) ?? [] {
                let namespaceURL = kindURL.appendingPathComponent(namespace)
                for name in (try? manager.contentsOfDirectory(atPath: namespaceURL.path)) ?? [] {
                    let folder = namespaceURL.appendingPathComponent(name)
                    removed += StaleFiles.removeStale(in: folder, prefixes: [".tmp-"], olderThan: age, now: now).map {
                        "\(kind)/\(namespace)/\(name)/\($0)"
                    }
                }
            }
        }
        return removed
    }

    /// Removes every artifact of an object that was deleted.
    public func deleteAll(kind: String, namespace: String, name: String) throws {
        let folder = try absoluteURL(try objectPath(kind: kind, namespace: namespace, name: name))
        guard FileManager.default.fileExists(atPath: folder.path) else { return }
        do { try FileManager.default.removeItem(at: folder) } catch {
            throw GitSourceError.storageFailed("cannot delete '\(folder.lastPathComponent)': \(error)")
        }
    }
}
