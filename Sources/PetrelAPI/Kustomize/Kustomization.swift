/// A path of a source to build with kustomize and apply to the cluster (`kustomize.petrel.dev/v1`, Flux's
/// `kustomize.toolkit.fluxcd.io/v1` Kustomization).
public struct Kustomization: APIObject, Hashable {
    public static let apiVersion = "\(PetrelAPIGroups.kustomize)/\(PetrelAPIGroups.version)"
    public static let kind = "Kustomization"
    public static let plural = "kustomizations"

    /// Always ``apiVersion``.
    public var apiVersion: String
    /// Always ``kind``.
    public var kind: String
    public var metadata: ObjectMeta
    /// The desired state.
    public var spec: KustomizationSpec
    /// The observed state; empty until the controller writes it.
    public var status: KustomizationStatus

    /// A Kustomization with the given metadata, spec and status.
    public init(metadata: ObjectMeta, spec: KustomizationSpec, status: KustomizationStatus = KustomizationStatus()) {
        self.apiVersion = Self.apiVersion
        self.kind = Self.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    private enum CodingKeys: String, CodingKey {
        case apiVersion, kind, metadata, spec, status
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try container.decodeIfPresent(String.self, forKey: .apiVersion) ?? Self.apiVersion
        kind = try container.decodeIfPresent(String.self, forKey: .kind) ?? Self.kind
        metadata = try container.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        spec = try container.decode(KustomizationSpec.self, forKey: .spec)
        status = try container.decodeIfPresent(KustomizationStatus.self, forKey: .status) ?? KustomizationStatus()
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(apiVersion, forKey: .apiVersion)
        try container.encode(kind, forKey: .kind)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(spec, forKey: .spec)
        if status != KustomizationStatus() { try container.encode(status, forKey: .status) }
    }

    /// The health-check and apply timeout: `spec.timeout`, else `interval − 30s`, never under 30 s (Flux's
    /// `GetTimeout`).
    public var effectiveTimeout: GoDuration {
        let floor = GoDuration.seconds(30)
        let candidate = spec.timeout ?? GoDuration(nanoseconds: spec.interval.nanoseconds - floor.nanoseconds)
        return candidate < floor ? floor : candidate
    }

    /// The delay before retrying a failed reconcile: `spec.retryInterval`, else `spec.interval`.
    public var effectiveRetryInterval: GoDuration { spec.retryInterval ?? spec.interval }

    /// `spec.deletionPolicy`, else ``DeletionPolicy/mirrorPrune``.
    public var effectiveDeletionPolicy: DeletionPolicy { spec.deletionPolicy ?? .mirrorPrune }

    /// The namespace of the source: `spec.sourceRef.namespace`, else this object's namespace.
    public var sourceNamespace: String? { spec.sourceRef.namespace ?? metadata.namespace }
}
