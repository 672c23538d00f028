/// A packed, downloadable snapshot of a source (Flux's `meta.Artifact`).
public struct Artifact: Sendable, Hashable, Codable {
    /// The path relative to the storage root, e.g. `gitrepository/<namespace>/<name>/<commit>.tar.gz`.
    public var path: String
    /// The HTTP address the artifact is served from.
    public var url: String
    /// The source revision, e.g. `main@sha1:<40 hex>`.
    public var revision: String
    /// `<algorithm>:<hex>` of the archive bytes, e.g. `sha256:…`.
    public var digest: String
    /// When this artifact was stored.
    public var lastUpdateTime: Time
    /// The archive size in bytes.
    public var size: Int64?
    /// Free-form metadata about the artifact.
    public var metadata: [String: String]?

    /// The pattern the CRD puts on ``digest``.
    public static let digestPattern = #"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$"#

    /// Whether `digest` is `sha256:` followed by exactly 64 lowercase hex digits: the only form Petrel's artifacts
    /// have, and the only one used as a key (of a cache folder, say) before it is verified.
    public static func isSHA256Digest(_ digest: String) -> Bool {
        let bytes = Array(digest.utf8)
        guard bytes.count == 71, digest.hasPrefix("sha256:") else { return false }
        return bytes[7...].allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// An artifact with every required field.
    public init(
        path: String, url: String, revision: String, digest: String, lastUpdateTime: Time, size: Int64? = nil,
        metadata: [String: String]? = nil
    ) {
        self.path = path
        self.url = url
        self.revision = revision
        self.digest = digest
        self.lastUpdateTime = lastUpdateTime
        self.size = size
        self.metadata = metadata
    }

    /// Whether this artifact has the given revision (Flux's `HasRevision`).
    public func hasRevision(_ revision: String) -> Bool { self.revision == revision }

    /// The commit part of a revision such as `main@sha1:abc…` or `sha1:abc…`: the hex after the last `:`.
    public var commit: String? {
        guard let colon = revision.lastIndex(of: ":") else { return nil }
        return String(revision[revision.index(after: colon)...])
    }
}
