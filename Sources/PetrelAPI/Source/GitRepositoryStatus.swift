/// The observed state of a ``GitRepository`` (Flux's `GitRepositoryStatus`, without the include, sparse checkout and
/// verification fields).
public struct GitRepositoryStatus: Sendable, Hashable, Codable {
    /// The `metadata.generation` last reconciled; the CRD defaults it to -1.
    public var observedGeneration: Int64?
    /// The conditions; see ``ConditionType``.
    public var conditions: [Condition]
    /// The artifact produced by the last successful fetch.
    public var artifact: Artifact?
    /// The value of ``WellKnown/reconcileRequestedAtAnnotation`` last acted on.
    public var lastHandledReconcileAt: String?
    /// The `spec.ignore` that produced ``artifact``.
    public var observedIgnore: String?
    /// The `spec.recurseSubmodules` that produced ``artifact``.
    public var observedRecurseSubmodules: Bool?

    /// An empty status.
    public init(
        observedGeneration: Int64? = nil, conditions: [Condition] = [], artifact: Artifact? = nil,
        lastHandledReconcileAt: String? = nil, observedIgnore: String? = nil, observedRecurseSubmodules: Bool? = nil
    ) {
        self.observedGeneration = observedGeneration
        self.conditions = conditions
        self.artifact = artifact
        self.lastHandledReconcileAt = lastHandledReconcileAt
        self.observedIgnore = observedIgnore
        self.observedRecurseSubmodules = observedRecurseSubmodules
    }

    private enum CodingKeys: String, CodingKey {
        case observedGeneration, conditions, artifact, lastHandledReconcileAt, observedIgnore
        case observedRecurseSubmodules
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        observedGeneration = try container.decodeIfPresent(Int64.self, forKey: .observedGeneration)
        conditions = try container.decodeIfPresent([Condition].self, forKey: .conditions) ?? []
        artifact = try container.decodeIfPresent(Artifact.self, forKey: .artifact)
        lastHandledReconcileAt = try container.decodeIfPresent(String.self, forKey: .lastHandledReconcileAt)
        observedIgnore = try container.decodeIfPresent(String.self, forKey: .observedIgnore)
        observedRecurseSubmodules = try container.decodeIfPresent(Bool.self, forKey: .observedRecurseSubmodules)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(observedGeneration, forKey: .observedGeneration)
        if !conditions.isEmpty { try container.encode(conditions, forKey: .conditions) }
        try container.encodeIfPresent(artifact, forKey: .artifact)
        try container.encodeIfPresent(lastHandledReconcileAt, forKey: .lastHandledReconcileAt)
        try container.encodeIfPresent(observedIgnore, forKey: .observedIgnore)
        try container.encodeIfPresent(observedRecurseSubmodules, forKey: .observedRecurseSubmodules)
    }
}
