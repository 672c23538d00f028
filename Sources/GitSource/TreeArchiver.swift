import CLibGit2
import Foundation

/// Writes the deterministic `.tar.gz` of a commit straight from a repository's object database: no working tree
/// is checked out, so the files of the commit are never written to disk one by one.
///
/// The output is byte-identical to ``TarGzArchiver/archive(directory:to:rules:)`` over a checkout of the same
/// commit: entries sorted bytewise per directory, uid/gid 0, mtime 0, mode 0755 for directories and executables
/// (git mode 100755) and 0644 for other files. Symlinks (git mode 120000) are dropped, as Flux drops them, so
/// nothing in the archive can point outside it. `.sourceignore` blobs are read as the walk reaches their tree.
/// A submodule (gitlink) becomes an empty directory, like a checkout without `--recurse-submodules`, unless
/// `recurseSubmodules` is set and its commit is in the object database (see
/// ``GitClient/fetch(url:reference:credentials:into:timeout:lastRevision:recurseSubmodules:)``), in which case
/// its tree is archived in place.
///
/// ## Bounds
/// A repository is hostile input: ``ExtractionLimits`` bound the entries and bytes archived, the nesting depth
/// (checked before recursing, so a tree nested thousands of levels deep is an error, not a stack overflow) and
/// the path length; entry names must be valid file names (no `/`, NUL, `.` or `..`, at most 255 bytes). A blob's
/// size is read from its object header before the blob is loaded. Entries visited, excluded ones included, are
/// bounded too (ten times the entry limit), so a "git bomb" of repeated subtrees fails after a bounded amount of
/// work; an ``ArchiveBudget`` adds a deadline and cancellation. Violations throw
/// ``GitSourceError/limitExceeded(_:)`` naming the path and the limit.
public enum TreeArchiver {
    /// The gzip level of artifacts: zlib's default (6), as `tar czf`.
    public static let defaultCompressionLevel: Int32 = 6

    /// Archives the tree of `commit` (hex hash) in the repository at `repository` into `file` (overwritten).
    ///
    /// Blocking; run it off the cooperative pool.
    /// - Parameter compressionLevel: zlib level 1–9; the same level always gives the same bytes.
    /// - Throws: ``GitSourceError/archiveFailed(_:)``.
    @discardableResult
    public static func archive(
        repository: URL, commit: String, to file: URL, rules: IgnoreRules = IgnoreRules(),
        recurseSubmodules: Bool = false, compressionLevel: Int32 = defaultCompressionLevel,
        limits: ExtractionLimits = ExtractionLimits(), budget: ArchiveBudget = ArchiveBudget()
    ) throws -> ArchiveSummary {
        _ = LibGit2Runtime.initialized
        var repoPointer: OpaquePointer?
        guard git_repository_open_bare(&repoPointer, repository.path) == 0, let repo = repoPointer else {
            throw GitSourceError.archiveFailed("cannot open the fetched repository: \(LibGit2Runtime.lastMessage)")
        }
        defer { git_repository_free(repo) }
        let tree = try commitTree(repo: repo, hash: commit, context: "commit")
        defer { git_tree_free(tree) }
        let handle = try createArchiveFile(file)
        defer { try? handle.close() }
        let sink = try GzipSink(handle: handle, level: compressionLevel)
        let tar = TarWriter(sink: sink)
        let walker = try Walker(
            repo: repo, tar: tar, recurseSubmodules: recurseSubmodules, limits: limits, budget: budget)
        try walker.walk(tree: tree, relative: [], rules: rules)
        try tar.finish()
        return try sink.finish()
    }

    /// The tree of the commit `hash`; the caller frees it.
    static func commitTree(repo: OpaquePointer, hash: String, context: String) throws -> OpaquePointer {
        var oid = git_oid()
        guard git_oid_fromstr(&oid, hash) == 0 else {
            throw GitSourceError.archiveFailed("'\(hash)' is not a commit hash")
        }
        return try commitTree(repo: repo, oid: &oid, context: context)
    }

    static func commitTree(repo: OpaquePointer, oid: UnsafePointer<git_oid>, context: String) throws -> OpaquePointer {
        var commitPointer: OpaquePointer?
        guard git_commit_lookup(&commitPointer, repo, oid) == 0, let commit = commitPointer else {
            throw GitSourceError.archiveFailed("\(context) \(GitClient.hex(oid.pointee)) is not in the fetched objects")
        }
        defer { git_commit_free(commit) }
        var treePointer: OpaquePointer?
        guard git_commit_tree(&treePointer, commit) == 0, let tree = treePointer else {
            throw GitSourceError.archiveFailed("cannot read the tree of \(context): \(LibGit2Runtime.lastMessage)")
        }
        return tree
    }

    /// Checks a tree entry name: a single, valid file name.
    static func validate(name: String, in relative: [String]) throws(GitSourceError) {
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), !name.contains("\0"),
            name.utf8.count <= 255
        else {
            let shown = (relative + [String(name.prefix(100))]).joined(separator: "/")
            throw .limitExceeded(
                "the tree entry '\(shown)' is not a valid file name (empty, '.', '..', '/', or over 255 bytes)")
        }
    }

    /// The recursive walk; one per archive.
    final class Walker {
        let repo: OpaquePointer
        let odb: OpaquePointer
        let tar: TarWriter
        let recurseSubmodules: Bool
        let limits: ExtractionLimits
        let budget: ArchiveBudget
        private var entries = 0
        private var bytes = 0
        private var visited = 0

        init(
            repo: OpaquePointer, tar: TarWriter, recurseSubmodules: Bool, limits: ExtractionLimits,
            budget: ArchiveBudget
        ) throws {
            var odbPointer: OpaquePointer?
            guard git_repository_odb(&odbPointer, repo) == 0, let odb = odbPointer else {
                throw GitSourceError.archiveFailed("cannot open the object database: \(LibGit2Runtime.lastMessage)")
            }
            self.repo = repo
            self.odb = odb
            self.tar = tar
            self.recurseSubmodules = recurseSubmodules
            self.limits = limits
            self.budget = budget
        }

        deinit { git_odb_free(odb) }

        /// Counts an entry of a tree, archived or not, and checks the deadline now and then.
        private func visit(_ path: [String]) throws(GitSourceError) {
            visited += 1
            let maxVisited = limits.maxEntries.multipliedReportingOverflow(by: 10)
            guard maxVisited.overflow || visited <= maxVisited.partialValue else {
                throw .limitExceeded(
                    "more than \(maxVisited.partialValue) tree entries to walk (excluded ones included), at "
                        + "'\(path.joined(separator: "/").prefix(200))'")
            }
            if visited % 256 == 0 { try budget.check("archiving the tree") }
        }

        /// Counts an archived entry of `size` bytes and checks the path against the limits.
        private func admit(_ path: [String], size: Int = 0) throws(GitSourceError) {
            let name = path.joined(separator: "/")
            entries += 1
            guard entries <= limits.maxEntries else {
                throw .limitExceeded("more than \(limits.maxEntries) files and directories, at '\(name.prefix(200))'")
            }
            guard name.utf8.count <= limits.maxPathLength else {
                throw .limitExceeded("the path '\(name.prefix(200))…' is longer than \(limits.maxPathLength) bytes")
            }
            let total = bytes.addingReportingOverflow(size)
            guard !total.overflow, total.partialValue <= limits.maxTotalBytes else {
                throw .limitExceeded(
                    "more than \(limits.maxTotalBytes) bytes of files, at '\(name.prefix(200))' (\(size) bytes)")
            }
            bytes = total.partialValue
        }

        func walk(tree: OpaquePointer, relative: [String], rules inherited: IgnoreRules) throws {
            guard relative.count <= limits.maxDepth else {
                throw GitSourceError.limitExceeded(
                    "directories nest deeper than \(limits.maxDepth) levels, at "
                        + "'\(relative.prefix(20).joined(separator: "/"))/…'")
            }
            var rules = inherited
            if let entry = git_tree_entry_byname(tree, IgnoreRules.sourceIgnoreFile),
                git_tree_entry_type(entry) == GIT_OBJECT_BLOB
            {
                try withBlob(entry, name: IgnoreRules.sourceIgnoreFile) { bytes in
                    if let text = String(validating: bytes.bindMemory(to: UInt8.self), as: UTF8.self) {
                        rules = rules.adding(sourceIgnore: IgnoreRules.parse(text, domain: relative))
                    }
                }
            }
            let count = git_tree_entrycount(tree)
            var entries: [(name: String, entry: OpaquePointer)] = []
            entries.reserveCapacity(count)
            for index in 0..<count {
                guard let entry = git_tree_entry_byindex(tree, index), let name = git_tree_entry_name(entry) else {
                    continue
                }
                let text = String(cString: name)
                try TreeArchiver.validate(name: text, in: relative)
                entries.append((text, entry))
            }
            // Git orders trees as if directory names ended in '/'; the archive orders plain names bytewise.
            entries.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
            for (name, entry) in entries {
                let path = relative + [name]
                try visit(path)
                switch git_tree_entry_filemode(entry) {
                case GIT_FILEMODE_TREE:
                    if rules.isIgnored(path, isDirectory: true) { continue }
                    try admit(path)
                    try tar.addDirectory(path.joined(separator: "/"))
                    var subtree: OpaquePointer?
                    guard git_tree_lookup(&subtree, repo, git_tree_entry_id(entry)) == 0, let subtree else {
                        throw GitSourceError.archiveFailed("cannot read tree '\(path.joined(separator: "/"))'")
                    }
                    defer { git_tree_free(subtree) }
                    try walk(tree: subtree, relative: path, rules: rules)
                case GIT_FILEMODE_BLOB, GIT_FILEMODE_BLOB_EXECUTABLE:
                    if rules.isIgnored(path, isDirectory: false) { continue }
                    try admit(path, size: try blobSize(entry, path: path))
                    let executable = git_tree_entry_filemode(entry) == GIT_FILEMODE_BLOB_EXECUTABLE
                    let fullName = path.joined(separator: "/")
                    try withBlob(entry, name: fullName) { bytes in
                        try tar.addFile(fullName, contents: bytes, executable: executable)
                    }
                case GIT_FILEMODE_COMMIT:
                    if rules.isIgnored(path, isDirectory: true) { continue }
                    try admit(path)
                    try tar.addDirectory(path.joined(separator: "/"))
                    guard recurseSubmodules, let oid = git_tree_entry_id(entry) else { continue }
                    let subtree = try commitTree(
                        repo: repo, oid: oid, context: "submodule '\(path.joined(separator: "/"))' at commit")
                    defer { git_tree_free(subtree) }
                    try walk(tree: subtree, relative: path, rules: rules)
                default:
                    continue  // Symlinks are dropped.
                }
            }
        }

        /// The size of a blob from its object header, without loading it.
        func blobSize(_ entry: OpaquePointer, path: [String]) throws -> Int {
            var size = 0
            var type = GIT_OBJECT_INVALID
            guard let oid = git_tree_entry_id(entry), git_odb_read_header(&size, &type, odb, oid) == 0 else {
                throw GitSourceError.archiveFailed(
                    "cannot read '\(path.joined(separator: "/"))': \(LibGit2Runtime.lastMessage)")
            }
            return size
        }

        func withBlob(_ entry: OpaquePointer, name: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
            var blobPointer: OpaquePointer?
            guard git_blob_lookup(&blobPointer, repo, git_tree_entry_id(entry)) == 0, let blob = blobPointer else {
                throw GitSourceError.archiveFailed("cannot read '\(name)': \(LibGit2Runtime.lastMessage)")
            }
            defer { git_blob_free(blob) }
            let size = Int(git_blob_rawsize(blob))
            try body(UnsafeRawBufferPointer(start: git_blob_rawcontent(blob), count: size))
        }
    }
}
