import KubeCore

/// The annotation that asks for a reconcile now; its value (any string, usually a timestamp) is echoed in
/// `status.lastHandledReconcileAt`.
package let reconcileRequestAnnotation = "reconcile.petrel.dev/requestedAt"

/// Which changes of a controller's own objects deserve a reconcile.
///
/// A new object, a new `generation` (a spec change), a changed reconcile-request annotation, a deletion
/// timestamp, and changed finalizers pass; a write that only touched `status` (the controller's own) does not.
package enum ChangePredicate {
    /// Whether the change from `old` to `new` should queue a reconcile.
    package static func shouldReconcile(old: JSONValue?, new: JSONValue) -> Bool {
        guard let old else { return true }
        let paths: [[String]] = [
            ["metadata", "generation"],
            ["metadata", "annotations", reconcileRequestAnnotation],
            ["metadata", "deletionTimestamp"],
            ["metadata", "finalizers"],
            ["metadata", "labels"],
        ]
        for path in paths where old[path: path] != new[path: path] {
            return true
        }
        // Objects without a generation (no spec semantics) reconcile on any change but their status.
        if new[path: ["metadata", "generation"]] == nil {
            var oldWithoutStatus = old
            var newWithoutStatus = new
            oldWithoutStatus["status"] = nil
            newWithoutStatus["status"] = nil
            oldWithoutStatus.set(path: ["metadata", "resourceVersion"], to: nil)
            newWithoutStatus.set(path: ["metadata", "resourceVersion"], to: nil)
            oldWithoutStatus.set(path: ["metadata", "managedFields"], to: nil)
            newWithoutStatus.set(path: ["metadata", "managedFields"], to: nil)
            return oldWithoutStatus != newWithoutStatus
        }
        return false
    }
}
