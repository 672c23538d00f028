/// Annotation, label and finalizer keys Petrel reads or writes (Flux's, under Petrel's domains).
public enum WellKnown {
    /// Annotation whose change asks for an immediate reconcile; its value is echoed in
    /// `status.lastHandledReconcileAt` (Flux's `reconcile.fluxcd.io/requestedAt`).
    public static let reconcileRequestedAtAnnotation = "reconcile.petrel.dev/requestedAt"
    /// Finalizer Petrel's controllers put on GitRepositories and Kustomizations.
    public static let finalizer = "finalizers.petrel.dev"

    /// Label naming the Kustomization that applied an object.
    public static let kustomizeNameLabel = "kustomize.petrel.dev/name"
    /// Label naming the namespace of the Kustomization that applied an object.
    public static let kustomizeNamespaceLabel = "kustomize.petrel.dev/namespace"
    /// Label or annotation: `disabled` exempts an object from pruning.
    public static let pruneKey = "kustomize.petrel.dev/prune"
    /// Label or annotation: `Override` (default), `Merge`, `IfNotPresent` or `Ignore` controls how an object is applied.
    public static let ssaKey = "kustomize.petrel.dev/ssa"
    /// Label or annotation: `disabled` skips postBuild substitution for an object.
    public static let substituteKey = "kustomize.petrel.dev/substitute"
    /// Label or annotation: `enabled` recreates an object whose immutable fields changed.
    public static let forceKey = "kustomize.petrel.dev/force"
    /// Label or annotation: `disabled` skips both apply and prune for an object.
    public static let reconcileKey = "kustomize.petrel.dev/reconcile"
    /// Label or annotation on a manifest: `enabled` lets its Kustomization take the object over from another
    /// Kustomization that still exists (otherwise such an object is refused).
    public static let takeoverKey = "kustomize.petrel.dev/takeover"

    /// Value of ``pruneKey``, ``substituteKey`` and ``reconcileKey`` that turns the behaviour off.
    public static let disabledValue = "disabled"
    /// Value of ``forceKey`` and ``takeoverKey`` that turns the behaviour on.
    public static let enabledValue = "enabled"
    /// Values of ``ssaKey``.
    public enum SSAPolicy {
        /// Take ownership of every field (the default).
        public static let override = "Override"
        /// Leave fields owned by other managers in place.
        public static let merge = "Merge"
        /// Apply only when the object does not exist yet.
        public static let ifNotPresent = "IfNotPresent"
        /// Never apply (and never prune) the object.
        public static let ignore = "Ignore"
    }
}
