/// An ``APIObject`` a Petrel controller reconciles on an interval and reports on through conditions.
///
/// Both ``GitRepository`` and ``Kustomization`` conform, so the shared parts of a reconcile (suspend, requested
/// reconciles, observed generation, the Ready summary) can be written once.
public protocol ReconcilableObject: APIObject {
    /// `status.conditions`.
    var conditions: [Condition] { get set }
    /// `status.observedGeneration`.
    var observedGeneration: Int64? { get set }
    /// `status.lastHandledReconcileAt`.
    var lastHandledReconcileAt: String? { get set }
    /// `spec.suspend`, false when unset.
    var isSuspended: Bool { get }
    /// `spec.interval`.
    var interval: GoDuration { get }
}

extension ReconcilableObject {
    /// The value of ``WellKnown/reconcileRequestedAtAnnotation``, if set.
    public var reconcileRequestedAt: String? {
        metadata.annotations?[WellKnown.reconcileRequestedAtAnnotation]
    }

    /// Whether the requested-at annotation holds a value the controller has not yet acted on.
    public var hasPendingReconcileRequest: Bool {
        guard let requested = reconcileRequestedAt else { return false }
        return requested != lastHandledReconcileAt
    }

    /// Whether the status describes the current spec: `observedGeneration == metadata.generation`.
    public var isStatusCurrent: Bool {
        metadata.generation != nil && observedGeneration == metadata.generation
    }

    /// Whether Ready is True for the current generation (what `dependsOn` waits for).
    public var isReady: Bool {
        isStatusCurrent && conditions.isTrue(ConditionType.ready)
    }
}

extension GitRepository: ReconcilableObject {
    public var conditions: [Condition] {
        get { status.conditions }
        set { status.conditions = newValue }
    }
    public var observedGeneration: Int64? {
        get { status.observedGeneration }
        set { status.observedGeneration = newValue }
    }
    public var lastHandledReconcileAt: String? {
        get { status.lastHandledReconcileAt }
        set { status.lastHandledReconcileAt = newValue }
    }
    public var isSuspended: Bool { spec.suspend ?? false }
    public var interval: GoDuration { spec.interval }
}

extension Kustomization: ReconcilableObject {
    public var conditions: [Condition] {
        get { status.conditions }
        set { status.conditions = newValue }
    }
    public var observedGeneration: Int64? {
        get { status.observedGeneration }
        set { status.observedGeneration = newValue }
    }
    public var lastHandledReconcileAt: String? {
        get { status.lastHandledReconcileAt }
        set { status.lastHandledReconcileAt = newValue }
    }
    public var isSuspended: Bool { spec.suspend ?? false }
    public var interval: GoDuration { spec.interval }
}
