/// The desired state of a ``GitRepository`` (Flux's `GitRepositorySpec`, without the cloud providers, signature
/// verification, includes and sparse checkout, which Petrel does not implement).
public struct GitRepositorySpec: Sendable, Hashable, Codable {
    /// The repository URL: `http://`, `https://` or `ssh://` (scp-style `git@host:repo` is refused, as in Flux).
    public var url: String
    /// A Secret in the same namespace with credentials: `username`/`password` or `bearerToken` for HTTPS,
    /// `identity`/`known_hosts` (and an optional `password`) for SSH, `ca.crt` for a custom CA.
    public var secretRef: LocalObjectReference?
    /// How often to check the remote for a new revision.
    public var interval: GoDuration
    /// The timeout of Git operations; the API server defaults it to `60s`.
    public var timeout: GoDuration?
    /// The reference to check out; defaults to the `master` branch.
    public var ref: GitRepositoryRef?
    /// `.gitignore`-style patterns that replace the default exclusions from the artifact.
    public var ignore: String?
    /// Whether reconciliation is paused.
    public var suspend: Bool?
    /// Whether to fetch submodules too (default false).
    public var recurseSubmodules: Bool?
    /// A Secret with `address` (required), `username` and `password` of an HTTP(S) proxy for Git operations.
    public var proxySecretRef: LocalObjectReference?

    /// The default of ``timeout``.
    public static let defaultTimeout = GoDuration(nanoseconds: 60_000_000_000, text: "60s")
    /// The branch used when ``ref`` names nothing.
    public static let defaultBranch = "master"

    /// A spec with the required fields.
    public init(url: String, interval: GoDuration, ref: GitRepositoryRef? = nil, secretRef: LocalObjectReference? = nil)
    {
        self.url = url
        self.interval = interval
        self.ref = ref
        self.secretRef = secretRef
    }

    /// ``timeout`` or its default of 60 s.
    public var effectiveTimeout: GoDuration { timeout ?? Self.defaultTimeout }
}

/// The Git reference a ``GitRepository`` follows (Flux's `GitRepositoryRef`).
///
/// Precedence: `commit` > `name` > `semver` > `tag` > `branch`; `commit` may be combined with `branch` to clone that
/// branch and check out the commit.
public struct GitRepositoryRef: Sendable, Hashable, Codable {
    /// A branch, e.g. `main`.
    public var branch: String?
    /// A tag, e.g. `v1.2.3`.
    public var tag: String?
    /// A semver range over the tags, e.g. `>=1.0.0 <2.0.0`.
    public var semver: String?
    /// A full reference name, e.g. `refs/heads/main` or `refs/pull/420/head`.
    public var name: String?
    /// A commit SHA-1.
    public var commit: String?

    /// A reference with the given fields.
    public init(
        branch: String? = nil, tag: String? = nil, semver: String? = nil, name: String? = nil, commit: String? = nil
    ) {
        self.branch = branch
        self.tag = tag
        self.semver = semver
        self.name = name
        self.commit = commit
    }
}
