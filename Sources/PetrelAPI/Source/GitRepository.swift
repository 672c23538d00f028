/// A Git repository to fetch and pack into an artifact (`source.petrel.dev/v1`, Flux's
/// `source.toolkit.fluxcd.io/v1` GitRepository).
public struct GitRepository: APIObject, Hashable {
    public static let apiVersion = "\(PetrelAPIGroups.source)/\(PetrelAPIGroups.version)"
    public static let kind = "GitRepository"
    public static let plural = "gitrepositories"

    /// Always ``apiVersion``.
    public var apiVersion: String
    /// Always ``kind``.
    public var kind: String
    public var metadata: ObjectMeta
    /// The desired state.
    public var spec: GitRepositorySpec
    /// The observed state; empty until the controller writes it.
    public var status: GitRepositoryStatus

    /// A GitRepository with the given metadata, spec and status.
    public init(metadata: ObjectMeta, spec: GitRepositorySpec, status: GitRepositoryStatus = GitRepositoryStatus()) {
        self.apiVersion = Self.apiVersion
        self.kind = Self.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    private enum CodingKeys: String, CodingKey {
        case apiVersion, kind, metadata, spec, status
    }

    private enum SpecKeys: String, CodingKey {
        case timeout
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try container.decodeIfPresent(String.self, forKey: .apiVersion) ?? Self.apiVersion
        kind = try container.decodeIfPresent(String.self, forKey: .kind) ?? Self.kind
        metadata = try container.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        spec = try container.decode(GitRepositorySpec.self, forKey: .spec)
        if let timeout = spec.timeout, !GoDuration.matchesCRDPattern(timeout.text, allowHours: false) {
            // The CRD allows no hours in a GitRepository's timeout (Flux's pattern); the decoder agrees.
            throw DecodingError.dataCorruptedError(
                forKey: .timeout, in: try container.nestedContainer(keyedBy: SpecKeys.self, forKey: .spec),
                debugDescription: PetrelAPIError.durationOutOfBounds(timeout.text, allowHours: false).message)
        }
        status = try container.decodeIfPresent(GitRepositoryStatus.self, forKey: .status) ?? GitRepositoryStatus()
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(apiVersion, forKey: .apiVersion)
        try container.encode(kind, forKey: .kind)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(spec, forKey: .spec)
        if status != GitRepositoryStatus() { try container.encode(status, forKey: .status) }
    }
}
