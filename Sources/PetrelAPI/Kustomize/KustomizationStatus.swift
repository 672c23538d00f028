/// The observed state of a ``Kustomization`` (Flux's `KustomizationStatus`, without the history and origin revision).
public struct KustomizationStatus: Sendable, Hashable, Codable {
    /// The `metadata.generation` last reconciled; the CRD defaults it to -1.
    public var observedGeneration: Int64?
    /// The conditions; see ``ConditionType``.
    public var conditions: [Condition]
    /// The objects applied by the last successful reconcile.
    public var inventory: ResourceInventory?
    /// The source revision last applied successfully.
    public var lastAppliedRevision: String?
    /// The source revision of the last attempt, successful or not.
    public var lastAttemptedRevision: String?
    /// The value of ``WellKnown/reconcileRequestedAtAnnotation`` last acted on.
    public var lastHandledReconcileAt: String?

    /// An empty status.
    public init(
        observedGeneration: Int64? = nil, conditions: [Condition] = [], inventory: ResourceInventory? = nil,
        lastAppliedRevision: String? = nil, lastAttemptedRevision: String? = nil, lastHandledReconcileAt: String? = nil
    ) {
        self.observedGeneration = observedGeneration
        self.conditions = conditions
        self.inventory = inventory
        self.lastAppliedRevision = lastAppliedRevision
        self.lastAttemptedRevision = lastAttemptedRevision
        self.lastHandledReconcileAt = lastHandledReconcileAt
    }

    private enum CodingKeys: String, CodingKey {
        case observedGeneration, conditions, inventory, lastAppliedRevision, lastAttemptedRevision
        case lastHandledReconcileAt
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        observedGeneration = try container.decodeIfPresent(Int64.self, forKey: .observedGeneration)
        conditions = try container.decodeIfPresent([Condition].self, forKey: .conditions) ?? []
        inventory = try container.decodeIfPresent(ResourceInventory.self, forKey: .inventory)
        lastAppliedRevision = try container.decodeIfPresent(String.self, forKey: .lastAppliedRevision)
        lastAttemptedRevision = try container.decodeIfPresent(String.self, forKey: .lastAttemptedRevision)
        lastHandledReconcileAt = try container.decodeIfPresent(String.self, forKey: .lastHandledReconcileAt)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(observedGeneration, forKey: .observedGeneration)
        if !conditions.isEmpty { try container.encode(conditions, forKey: .conditions) }
        try container.encodeIfPresent(inventory, forKey: .inventory)
        try container.encodeIfPresent(lastAppliedRevision, forKey: .lastAppliedRevision)
        try container.encodeIfPresent(lastAttemptedRevision, forKey: .lastAttemptedRevision)
        try container.encodeIfPresent(lastHandledReconcileAt, forKey: .lastHandledReconcileAt)
    }
}
