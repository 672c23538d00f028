import CLibGit2
import Foundation

/// One `[submodule "name"]` section of a `.gitmodules` file.
struct SubmoduleEntry: Sendable, Equatable {
    var name: String
    var path: String?
    var url: String?
}

/// Submodules for ``GitClient/fetch(url:reference:credentials:into:timeout:lastRevision:recurseSubmodules:)``.
///
/// Like `git clone --recurse-submodules`: each gitlink of the commit's tree is looked up in the commit's
/// `.gitmodules`, its URL resolved (relative URLs against the parent's), and its branches and tags fetched into the
/// same object database, so that ``TreeArchiver`` finds the recorded commit there. Credentials go only to the
/// parent's scheme, host and port, never over plain `http://` (``GitCredentials/scoped(from:to:)``).
/// Nested submodules are followed up to ``maxDepth`` levels.
enum Submodules {
    static let maxDepth = 5

    /// Parses `.gitmodules` (git config syntax: sections, `key = value`, `#`/`;` comments, quoted values).
    static func parse(_ text: String) -> [SubmoduleEntry] {
        var entries: [SubmoduleEntry] = []
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                let inner = line.dropFirst().prefix { $0 != "]" }.trimmingCharacters(in: .whitespaces)
                guard inner.lowercased().hasPrefix("submodule") else {
                    entries.append(SubmoduleEntry(name: "\u{0}"))  // a section that is not a submodule
                    continue
                }
                let name = inner.dropFirst("submodule".count).trimmingCharacters(in: .whitespaces)
                entries.append(SubmoduleEntry(name: name.trimmingCharacters(in: CharacterSet(charactersIn: "\""))))
                continue
            }
            guard !entries.isEmpty, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            if key == "path" { entries[entries.count - 1].path = value }
            if key == "url" { entries[entries.count - 1].url = value }
        }
        return entries.filter { $0.name != "\u{0}" }
    }

    /// Resolves a submodule URL: `./x` and `../x` are relative to the parent repository's URL, as in git.
    static func resolve(_ url: String, parent: String) -> String {
        guard url.hasPrefix("./") || url.hasPrefix("../") else { return url }
        var base = parent
        while base.hasSuffix("/") { base.removeLast() }
        var rest = Substring(url)
        while true {
            if rest.hasPrefix("./") {
                rest = rest.dropFirst(2)
            } else if rest.hasPrefix("../") {
                rest = rest.dropFirst(3)
                if let slash = base.lastIndex(of: "/") { base = String(base[..<slash]) }
            } else {
                break
            }
        }
        return base + "/" + rest
    }

    /// The gitlinks of `tree`, recursively, as (path, commit id).
    ///
    /// Bounded like ``TreeArchiver``: at most `limits.maxDepth` levels and ten times `limits.maxEntries` entries
    /// visited (`visited` counts across calls), so a deep or repeated ("git bomb") tree fails fast.
    static func gitlinks(
        repo: OpaquePointer, tree: OpaquePointer, prefix: String = "", depth: Int = 0,
        limits: ExtractionLimits = ExtractionLimits(), visited: inout Int
    ) throws -> [(String, git_oid)] {
        guard depth <= limits.maxDepth else {
            throw GitSourceError.limitExceeded(
                "directories nest deeper than \(limits.maxDepth) levels, at '\(prefix.prefix(200))…'")
        }
        var found: [(String, git_oid)] = []
        for index in 0..<git_tree_entrycount(tree) {
            guard let entry = git_tree_entry_byindex(tree, index), let namePointer = git_tree_entry_name(entry),
                let oid = git_tree_entry_id(entry)
            else { continue }
            visited += 1
            guard visited <= limits.maxEntries.multipliedReportingOverflow(by: 10).partialValue else {
                throw GitSourceError.limitExceeded(
                    "more than \(limits.maxEntries * 10) tree entries to walk for submodules, at '\(prefix.prefix(200))'")
            }
            let path = prefix + String(cString: namePointer)
            switch git_tree_entry_filemode(entry) {
            case GIT_FILEMODE_COMMIT:
                found.append((path, oid.pointee))
            case GIT_FILEMODE_TREE:
                var subtree: OpaquePointer?
                guard git_tree_lookup(&subtree, repo, oid) == 0, let subtree else {
                    throw GitSourceError.gitOperationFailed(
                        operation: "read tree '\(path)'", code: -1, detail: LibGit2Runtime.lastMessage)
                }
                defer { git_tree_free(subtree) }
                found += try gitlinks(
                    repo: repo, tree: subtree, prefix: path + "/", depth: depth + 1, limits: limits, visited: &visited)
            default:
                continue
            }
        }
        return found
    }

    /// The text of the blob at `path` in `tree`, or nil.
    static func blobText(repo: OpaquePointer, tree: OpaquePointer, path: String) -> String? {
        var entryPointer: OpaquePointer?
        guard git_tree_entry_bypath(&entryPointer, tree, path) == 0, let entry = entryPointer else { return nil }
        defer { git_tree_entry_free(entry) }
        var blobPointer: OpaquePointer?
        guard git_blob_lookup(&blobPointer, repo, git_tree_entry_id(entry)) == 0, let blob = blobPointer else {
            return nil
        }
        defer { git_blob_free(blob) }
        let bytes = UnsafeRawBufferPointer(start: git_blob_rawcontent(blob), count: Int(git_blob_rawsize(blob)))
        return String(validating: bytes.bindMemory(to: UInt8.self), as: UTF8.self)
    }

    /// Fetches the submodules of `commit` (and theirs) into `repo`.
    static func fetch(
        repo: OpaquePointer, commit: git_oid, parentURL: String, session parent: RemoteSession, depth: Int = 1
    ) throws {
        var oid = commit
        let tree = try TreeArchiver.commitTree(repo: repo, oid: &oid, context: "commit")
        defer { git_tree_free(tree) }
        var visited = 0
        let links = try gitlinks(repo: repo, tree: tree, visited: &visited)
        guard !links.isEmpty else { return }
        guard depth <= maxDepth else {
            throw GitSourceError.gitOperationFailed(
                operation: "fetch submodules", code: -1, detail: "submodules nest deeper than \(maxDepth) levels")
        }
        let modules = parse(blobText(repo: repo, tree: tree, path: ".gitmodules") ?? "")
        for (index, (path, linkOid)) in links.enumerated() {
            guard let module = modules.first(where: { $0.path == path }), let rawURL = module.url, !rawURL.isEmpty else {
                throw GitSourceError.referenceNotFound(
                    "submodule '\(path)' has no url in .gitmodules; fix .gitmodules or disable recurseSubmodules")
            }
            let url = resolve(rawURL, parent: parentURL)
            var wanted = linkOid
            var existing: OpaquePointer?
            if git_commit_lookup(&existing, repo, &wanted) == 0 {
                git_commit_free(existing)
            } else {
                try fetchAll(repo: repo, url: url, slot: "\(depth)-\(index)", parent: parent)
                guard git_commit_lookup(&existing, repo, &wanted) == 0 else {
                    throw GitSourceError.referenceNotFound(
                        "submodule '\(path)': commit \(GitClient.hex(linkOid)) is on no branch or tag of "
                            + "\((try? GitURL(parsing: url).redacted) ?? "its remote")")
                }
                git_commit_free(existing)
            }
            try fetch(repo: repo, commit: linkOid, parentURL: url, session: parent, depth: depth + 1)
        }
    }

    /// Fetches every branch and tag of `url` into `repo` under `refs/petrel/submodules/<slot>/`.
    static func fetchAll(repo: OpaquePointer, url rawURL: String, slot: String, parent: RemoteSession) throws {
        let url = try GitURL(parsing: rawURL)
        let credentials = parent.credentials.scoped(from: parent.url, to: url)
        let session = RemoteSession(
            url: url, credentials: credentials, operation: parent.operation, scratch: parent.scratch)
        let payload = Unmanaged.passRetained(session).toOpaque()
        defer { Unmanaged<RemoteSession>.fromOpaque(payload).release() }
        var remotePointer: OpaquePointer?
        var code = git_remote_create_anonymous(&remotePointer, repo, url.libgit2URL)
        guard code == 0, let remote = remotePointer else { throw session.error(operation: "create remote", code: code) }
        defer { git_remote_free(remote) }
        var options = git_fetch_options()
        git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION))
        options.callbacks = session.callbacks(payload: payload)
        options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
        let refspecs = [
            "+refs/heads/*:refs/petrel/submodules/\(slot)/heads/*", "+refs/tags/*:refs/petrel/submodules/\(slot)/tags/*",
        ]
        code = GitClient.withStringArray(GitClient.headers(credentials)) { headers in
            options.custom_headers = headers
            return GitClient.withStringArray(refspecs) { specs in git_remote_fetch(remote, &specs, &options, nil) }
        }
        guard code == 0 else { throw session.error(operation: "fetch submodule \(url.redacted)", code: code) }
    }
}
