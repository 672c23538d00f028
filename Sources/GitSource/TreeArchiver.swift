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
        recurseSubmodules: Bool = false, compressionLevel: Int32 = defaultCompressionLevel
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
        let walker = Walker(repo: repo, tar: tar, recurseSubmodules: recurseSubmodules)
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

    /// The recursive walk; one per archive.
    final class Walker {
        let repo: OpaquePointer
        let tar: TarWriter
        let recurseSubmodules: Bool

        init(repo: OpaquePointer, tar: TarWriter, recurseSubmodules: Bool) {
            self.repo = repo
            self.tar = tar
            self.recurseSubmodules = recurseSubmodules
        }

        func walk(tree: OpaquePointer, relative: [String], rules inherited: IgnoreRules) throws {
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
                entries.append((String(cString: name), entry))
            }
            // Git orders trees as if directory names ended in '/'; the archive orders plain names bytewise.
            entries.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
            for (name, entry) in entries {
                let path = relative + [name]
                switch git_tree_entry_filemode(entry) {
                case GIT_FILEMODE_TREE:
                    if rules.isIgnored(path, isDirectory: true) { continue }
                    try tar.addDirectory(path.joined(separator: "/"))
                    var subtree: OpaquePointer?
                    guard git_tree_lookup(&subtree, repo, git_tree_entry_id(entry)) == 0, let subtree else {
                        throw GitSourceError.archiveFailed("cannot read tree '\(path.joined(separator: "/"))'")
                    }
                    defer { git_tree_free(subtree) }
                    try walk(tree: subtree, relative: path, rules: rules)
                case GIT_FILEMODE_BLOB, GIT_FILEMODE_BLOB_EXECUTABLE:
                    if rules.isIgnored(path, isDirectory: false) { continue }
                    let executable = git_tree_entry_filemode(entry) == GIT_FILEMODE_BLOB_EXECUTABLE
                    let fullName = path.joined(separator: "/")
                    try withBlob(entry, name: fullName) { bytes in
                        try tar.addFile(fullName, contents: bytes, executable: executable)
                    }
                case GIT_FILEMODE_COMMIT:
                    if rules.isIgnored(path, isDirectory: true) { continue }
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
