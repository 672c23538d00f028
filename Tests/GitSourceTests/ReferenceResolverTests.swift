import GitSource
import Testing

@Suite("Reference resolution")
struct ReferenceResolverTests {
    static let a = String(repeating: "a", count: 40)
    static let b = String(repeating: "b", count: 40)
    static let c = String(repeating: "c", count: 40)
    static let t = String(repeating: "d", count: 40)
    static let remote = GitRemoteRefs(
        refs: [
            "refs/heads/main": a, "refs/heads/dev": b, "refs/heads/master": c, "refs/tags/v1.0.0": t,
            "refs/tags/v1.1.0": b, "refs/pull/1/head": c,
        ],
        peeled: ["refs/tags/v1.0.0": a], head: "refs/heads/main")

    func resolve(_ ref: GitReference) throws -> ResolvedReference {
        try ReferenceResolver.resolve(ref, in: Self.remote, url: "git://x/repo.git")
    }

    @Test("precedence commit > name > semver > tag > branch, and Flux revision strings")
    func precedence() throws {
        #expect(try resolve(GitReference(branch: "dev")).revision == "dev@sha1:\(Self.b)")
        #expect(try resolve(GitReference()).revision == "master@sha1:\(Self.c)")
        #expect(try resolve(GitReference(branch: "dev", tag: "v1.0.0")).revision == "v1.0.0@sha1:\(Self.a)")
        #expect(try resolve(GitReference(tag: "v1.0.0", semver: "~1.0")).revision == "v1.0.0@sha1:\(Self.a)")
        #expect(try resolve(GitReference(semver: ">=1.0.0")).revision == "v1.1.0@sha1:\(Self.b)")
        #expect(
            try resolve(GitReference(semver: ">=1.0.0", name: "refs/pull/1/head")).revision
                == "refs/pull/1/head@sha1:\(Self.c)")
        let bare = try resolve(GitReference(name: "refs/pull/1/head", commit: Self.a.uppercased()))
        #expect(bare.revision == "sha1:\(Self.a)")
        #expect(bare.fetchRef == nil)
        #expect(try resolve(GitReference(branch: "main", commit: Self.b)).revision == "main@sha1:\(Self.b)")
    }

    @Test("a missing branch lists the branches the remote has")
    func missingBranch() throws {
        let error = #expect(throws: GitSourceError.self) { try resolve(GitReference(branch: "mian")) }
        #expect(error?.message == "branch 'mian' not found; remote has: dev, main, master")
        #expect(error?.reason == "ReferenceNotFound")
        #expect(throws: GitSourceError.self) { try resolve(GitReference(semver: ">=3")) }
        #expect(throws: GitSourceError.self) { try resolve(GitReference(commit: "abc")) }
        #expect(throws: GitSourceError.emptyRepository(url: "git://x/repo.git")) {
            try ReferenceResolver.resolve(GitReference(), in: GitRemoteRefs(refs: [:]), url: "git://x/repo.git")
        }
    }

    @Test("URLs: scp-like, ports, and passwords stripped")
    func urls() throws {
        let scp = try GitURL(parsing: "git@github.com:org/repo.git")
        #expect(scp.scheme == "ssh" && scp.host == "github.com" && scp.user == "git" && scp.effectivePort == 22)
        let ssh = try GitURL(parsing: "ssh://git@127.0.0.1:2222/srv/repo.git")
        #expect(ssh.port == 2222 && ssh.path == "/srv/repo.git")
        let https = try GitURL(parsing: "https://bob:hunter2@example.com/r.git")
        #expect(!https.libgit2URL.contains("hunter2") && !https.redacted.contains("hunter2"))
        #expect(throws: GitSourceError.self) { try GitURL(parsing: "ftp://example.com/r.git") }
    }
}
