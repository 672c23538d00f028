import Foundation

/// A bare repository under a server root plus a work tree used to create commits, branches and tags with the
/// real `git` CLI (isolated from any user or system git config).
package struct GitTestRepository: Sendable {
    /// `<root>/<name>.git`, what the servers export.
    package let bare: URL
    /// The work tree commits are made in.
    package let work: URL
    /// `<name>.git`, the path below the server root.
    package let relativePath: String

    static let environment = [
        "GIT_AUTHOR_NAME": "Petrel Test", "GIT_AUTHOR_EMAIL": "test@petrel.invalid",
        "GIT_COMMITTER_NAME": "Petrel Test", "GIT_COMMITTER_EMAIL": "test@petrel.invalid",
        "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1",
    ]

    /// Creates an empty bare repository `<root>/<name>.git` and a work tree next to it.
    package init(root: URL, name: String = "repo") throws {
        relativePath = "\(name).git"
        bare = root.appendingPathComponent(relativePath)
        work = root.deletingLastPathComponent().appendingPathComponent("\(root.lastPathComponent)-work-\(name)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try TestCommand.run("/usr/bin/git", ["init", "-q", "--bare", "-b", "main", bare.path], environment: Self.environment)
        try git(["init", "-q", "-b", "main"])
        try git(["remote", "add", "origin", bare.path])
    }

    /// Runs git in the work tree.
    @discardableResult
    package func git(_ arguments: [String]) throws -> String {
        try TestCommand.run("/usr/bin/git", arguments, in: work, environment: Self.environment)
    }

    /// Writes files (path → content) into the work tree; `nil` content deletes.
    package func write(_ files: [String: String?]) throws {
        for (path, content) in files {
            let url = work.appendingPathComponent(path)
            if let content {
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try content.write(to: url, atomically: true, encoding: .utf8)
            } else {
                try? FileManager.default.removeItem(at: url)
            }
        }
    }

    /// Commits everything and pushes the current branch; returns the commit hash.
    @discardableResult
    package func commit(_ message: String, files: [String: String?] = [:]) throws -> String {
        try write(files)
        try git(["add", "-A"])
        try git(["commit", "-q", "--allow-empty", "-m", message])
        let branch = try git(["rev-parse", "--abbrev-ref", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines)
        try git(["push", "-q", "origin", "HEAD:refs/heads/\(branch)"])
        return try head()
    }

    /// The work tree's HEAD commit.
    package func head() throws -> String {
        try git(["rev-parse", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Switches to (creating if needed) a branch.
    package func checkout(branch: String) throws {
        if (try? git(["rev-parse", "--verify", "-q", "refs/heads/\(branch)"])) != nil {
            try git(["checkout", "-q", branch])
        } else {
            try git(["checkout", "-q", "-b", branch])
        }
    }

    /// Creates and pushes a tag on HEAD (annotated when `message` is given).
    package func tag(_ name: String, message: String? = nil) throws {
        if let message { try git(["tag", "-a", name, "-m", message]) } else { try git(["tag", name]) }
        try git(["push", "-q", "origin", "refs/tags/\(name)"])
    }

    /// Pushes HEAD to an arbitrary ref (e.g. `refs/pull/1/head`).
    package func push(to ref: String) throws {
        try git(["push", "-q", "origin", "HEAD:\(ref)"])
    }

    /// A hostile tree for ``commitCraftedTree(_:)``.
    package enum CraftedTree: Sendable {
        /// `levels` levels of `width` identical subtrees over `width` files: width^(levels+1) files from a few objects.
        case bomb(width: Int, levels: Int)
        /// One chain of `levels` nested directories `d/d/d/…/leaf.yaml`.
        case deep(levels: Int)
    }

    /// Writes `tree` as loose objects straight into the bare repository (git's porcelain would refuse or take
    /// forever) and points `main` at a commit of it; returns the commit hash.
    @discardableResult
    package func commitCraftedTree(_ tree: CraftedTree) throws -> String {
        let script = """
            import hashlib, os, sys, zlib
            repo, kind, a, b = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
            def write(kind, body):
                data = b"%s %d\\0" % (kind, len(body)) + body
                sha = hashlib.sha1(data).hexdigest()
                path = os.path.join(repo, "objects", sha[:2], sha[2:])
                if not os.path.exists(path):
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    with open(path, "wb") as f:
                        f.write(zlib.compress(data))
                return sha
            def tree(entries):
                key = lambda e: e[1] + (b"/" if e[0] == b"40000" else b"")
                return write(b"tree", b"".join(b"%s %s\\0" % (m, n) + bytes.fromhex(s) for m, n, s in sorted(entries, key=key)))
            blob = write(b"blob", b"kind: ConfigMap\\n")
            if kind == "bomb":
                t = tree([(b"100644", b"f%d.yaml" % i, blob) for i in range(a)])
                for _ in range(b):
                    t = tree([(b"40000", b"d%d" % i, t) for i in range(a)])
            else:
                t = tree([(b"100644", b"leaf.yaml", blob)])
                for _ in range(a):
                    t = tree([(b"40000", b"d", t)])
            commit = write(b"commit", b"tree %s\\nauthor T <t@t> 0 +0000\\ncommitter T <t@t> 0 +0000\\n\\n%s\\n" % (t.encode(), kind.encode()))
            with open(os.path.join(repo, "refs", "heads", "main"), "w") as f:
                f.write(commit + "\\n")
            print(commit)
            """
        let arguments: [String] =
            switch tree {
            case .bomb(let width, let levels): ["bomb", "\(width)", "\(levels)"]
            case .deep(let levels): ["deep", "\(levels)", "0"]
            }
        let output = try TestCommand.run("/usr/bin/python3", ["-c", script, bare.path] + arguments)
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
