/// What to check out, as in Flux's `spec.ref`. Precedence: commit > name > semver > tag > branch; with nothing
/// set, branch `master` (Flux's default).
public struct GitReference: Sendable, Equatable {
    public var branch: String?
    public var tag: String?
    public var semver: String?
    /// Any full ref, e.g. `refs/pull/1/head`.
    public var name: String?
    /// A full 40-character commit hash; may be combined with `branch`.
    public var commit: String?

    public init(
        branch: String? = nil, tag: String? = nil, semver: String? = nil, name: String? = nil, commit: String? = nil
    ) {
        self.branch = branch
        self.tag = tag
        self.semver = semver
        self.name = name
        self.commit = commit
    }

    /// Flux's default branch when `spec.ref` is empty.
    public static let defaultBranch = "master"
}

/// The refs a remote advertises (`git ls-remote`).
public struct GitRemoteRefs: Sendable, Equatable {
    /// Full ref name → object id (hex). For annotated tags this is the tag object.
    public var refs: [String: String]
    /// Full tag ref → the commit it peels to (from the `^{}` entries).
    public var peeled: [String: String]
    /// The branch `HEAD` points at, when the server says so.
    public var head: String?

    public init(refs: [String: String], peeled: [String: String] = [:], head: String? = nil) {
        self.refs = refs
        self.peeled = peeled
        self.head = head
    }

    /// The commit a ref points at (peeling annotated tags).
    public func commit(of ref: String) -> String? { peeled[ref] ?? refs[ref] }

    /// Short branch names, sorted.
    public var branches: [String] {
        refs.keys.filter { $0.hasPrefix("refs/heads/") }.map { String($0.dropFirst("refs/heads/".count)) }.sorted()
    }

    /// Short tag names, sorted.
    public var tags: [String] {
        refs.keys.filter { $0.hasPrefix("refs/tags/") }.map { String($0.dropFirst("refs/tags/".count)) }.sorted()
    }
}

/// The outcome of matching a ``GitReference`` against the remote's refs.
public struct ResolvedReference: Sendable, Equatable {
    /// The full ref to fetch, or nil when only a commit was asked for (then every branch and tag is fetched).
    public var fetchRef: String?
    /// The commit to check out.
    public var commit: String
    /// The Flux v1 revision string, e.g. `main@sha1:<hash>`, `v1.0.0@sha1:<hash>`, `sha1:<hash>`.
    public var revision: String
}

/// Matches references against remote refs, as Flux does before cloning.
public enum ReferenceResolver {
    /// Resolves `reference` against `remote`.
    ///
    /// - Throws: ``GitSourceError/referenceNotFound(_:)`` (listing what the remote has), ``GitSourceError/invalidSemVer(_:)``,
    ///   ``GitSourceError/emptyRepository(url:)``.
    public static func resolve(
        _ reference: GitReference, in remote: GitRemoteRefs, url: String
    ) throws(GitSourceError) -> ResolvedReference {
        if remote.refs.isEmpty { throw .emptyRepository(url: url) }
        if let commit = reference.commit, !commit.isEmpty {
            let hash = commit.lowercased()
            guard hash.count == 40, hash.allSatisfy(\.isHexDigit) else {
                throw .referenceNotFound("commit '\(commit)' is not a full 40-character SHA-1 hash")
            }
            if let branch = reference.branch, !branch.isEmpty {
                guard remote.refs["refs/heads/\(branch)"] != nil else { throw missingBranch(branch, remote) }
                return ResolvedReference(fetchRef: "refs/heads/\(branch)", commit: hash, revision: "\(branch)@sha1:\(hash)")
            }
            return ResolvedReference(fetchRef: nil, commit: hash, revision: "sha1:\(hash)")
        }
        if let name = reference.name, !name.isEmpty {
            guard let commit = remote.commit(of: name) else {
                throw .referenceNotFound("ref '\(name)' not found on the remote")
            }
            return ResolvedReference(fetchRef: name, commit: commit, revision: "\(name)@sha1:\(commit)")
        }
        if let semver = reference.semver, !semver.isEmpty {
            let range = try SemVerRange(semver)
            var best: (version: SemanticVersion, tag: String)?
            for tag in remote.tags {
                guard let version = SemanticVersion(tag), range.contains(version) else { continue }
                if let current = best, current.version >= version { continue }
                best = (version, tag)
            }
            guard let best, let commit = remote.commit(of: "refs/tags/\(best.tag)") else {
                throw .referenceNotFound("no tag matches semver range '\(semver)'; remote tags: \(list(remote.tags))")
            }
            return ResolvedReference(fetchRef: "refs/tags/\(best.tag)", commit: commit, revision: "\(best.tag)@sha1:\(commit)")
        }
        if let tag = reference.tag, !tag.isEmpty {
            guard let commit = remote.commit(of: "refs/tags/\(tag)") else {
                throw .referenceNotFound("tag '\(tag)' not found; remote has: \(list(remote.tags))")
            }
            return ResolvedReference(fetchRef: "refs/tags/\(tag)", commit: commit, revision: "\(tag)@sha1:\(commit)")
        }
        let branch = reference.branch.flatMap { $0.isEmpty ? nil : $0 } ?? GitReference.defaultBranch
        guard let commit = remote.refs["refs/heads/\(branch)"] else { throw missingBranch(branch, remote) }
        return ResolvedReference(fetchRef: "refs/heads/\(branch)", commit: commit, revision: "\(branch)@sha1:\(commit)")
    }

    static func missingBranch(_ branch: String, _ remote: GitRemoteRefs) -> GitSourceError {
        .referenceNotFound("branch '\(branch)' not found; remote has: \(list(remote.branches))")
    }

    static func list(_ names: [String]) -> String {
        if names.isEmpty { return "(none)" }
        let shown = names.prefix(20).joined(separator: ", ")
        return names.count > 20 ? "\(shown), … (\(names.count) in all)" : shown
    }
}
