import KubeCore
import PetrelAPI

/// Per-object apply and prune behaviour read from `kustomize.petrel.dev/*` annotations or labels
/// (annotation first, as Flux accepts either).
struct ObjectPolicy: Sendable {
    var ssa: String
    var force: Bool
    var pruneDisabled: Bool
    var reconcileDisabled: Bool
    var takeover: Bool

    init(_ object: JSONValue) {
        func value(_ key: String) -> String {
            object.kube.annotations[key] ?? object.kube.labels[key] ?? ""
        }
        ssa = value(WellKnown.ssaKey)
        force = value(WellKnown.forceKey).lowercased() == WellKnown.enabledValue
        pruneDisabled = value(WellKnown.pruneKey).lowercased() == WellKnown.disabledValue
        reconcileDisabled = value(WellKnown.reconcileKey).lowercased() == WellKnown.disabledValue
        takeover = value(WellKnown.takeoverKey).lowercased() == WellKnown.enabledValue
    }

    /// `ssa: Ignore` or `reconcile: disabled`: never applied, never pruned.
    var excluded: Bool { ssa.lowercased() == WellKnown.SSAPolicy.ignore.lowercased() || reconcileDisabled }
    /// `ssa: Merge`: fields other managers (kubectl…) own are left to them.
    var merge: Bool { ssa.lowercased() == WellKnown.SSAPolicy.merge.lowercased() }
    /// `ssa: IfNotPresent`: applied only when the object does not exist.
    var ifNotPresent: Bool { ssa.lowercased() == WellKnown.SSAPolicy.ifNotPresent.lowercased() }
}
