/// The status of a condition: `True`, `False` or `Unknown`.
public enum ConditionStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case `true` = "True"
    case `false` = "False"
    case unknown = "Unknown"
}

/// One aspect of an object's observed state (`metav1.Condition`), as Flux's controllers report it.
///
/// Every field but `observedGeneration` is required by the CRD schema, as in Kubernetes.
public struct Condition: Sendable, Hashable, Codable {
    /// The condition type in CamelCase, e.g. ``ConditionType/ready``.
    public var type: String
    /// Whether the condition holds.
    public var status: ConditionStatus
    /// The `metadata.generation` the condition was computed from.
    public var observedGeneration: Int64?
    /// When `status` last changed.
    public var lastTransitionTime: Time
    /// A CamelCase reason for the last transition, e.g. ``ConditionReason/reconciliationSucceeded``.
    public var reason: String
    /// A human-readable explanation; may be empty.
    public var message: String

    /// A condition with every field given.
    public init(
        type: String, status: ConditionStatus, observedGeneration: Int64? = nil, lastTransitionTime: Time,
        reason: String, message: String
    ) {
        self.type = type
        self.status = status
        self.observedGeneration = observedGeneration
        self.lastTransitionTime = lastTransitionTime
        self.reason = reason
        self.message = message
    }
}
