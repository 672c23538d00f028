/// The stages and kind order of a staged apply and of a prune (Flux's `ApplyAllStaged` and `ssa/sort.go`).
package enum ApplyOrder {
    /// Where an object goes in a staged apply.
    package enum Stage: Int, Sendable, Comparable, CaseIterable {
        /// CustomResourceDefinitions, Namespaces and ClusterRoles (Flux's `IsClusterDefinition`).
        case clusterDefinitions
        /// Kinds whose name ends in `Class`: StorageClass, IngressClass, PriorityClass, GatewayClass… (`IsClassDefinition`).
        case classes
        /// Everything else.
        case workloads

        package static func < (lhs: Stage, rhs: Stage) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// The stage of a kind.
    package static func stage(ofKind kind: String) -> Stage {
        switch kind.lowercased() {
        case "customresourcedefinition", "namespace", "clusterrole": .clusterDefinitions
        case let name where name.hasSuffix("class"): .classes
        default: .workloads
        }
    }

    /// Flux's apply order; kinds not listed go after `PodDisruptionBudget` and before the webhook configurations.
    static let kindOrder: [String] = [
        "CustomResourceDefinition", "Namespace", "ClusterRole", "StorageClass", "IngressClass", "PriorityClass",
        "ClusterRoleBinding", "ResourceQuota", "ServiceAccount", "Role", "RoleBinding", "ConfigMap", "Secret",
        "Endpoints", "Service", "LimitRange", "PersistentVolume", "PersistentVolumeClaim", "Deployment",
        "StatefulSet", "CronJob", "PodDisruptionBudget",
    ]
    static let lastKinds: [String] = ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]

    /// A sort key: position of the kind, then kind, namespace and name, so the order is total and stable.
    static func rank(ofKind kind: String) -> Int {
        if let index = kindOrder.firstIndex(of: kind) { return index }
        if let index = lastKinds.firstIndex(of: kind) { return kindOrder.count + 1 + index }
        return kindOrder.count
    }

    /// Whether `lhs` is applied before `rhs`.
    package static func applyPrecedes(_ lhs: ResourceID, _ rhs: ResourceID) -> Bool {
        let (left, right) = (rank(ofKind: lhs.kind), rank(ofKind: rhs.kind))
        if left != right { return left < right }
        return (lhs.kind, lhs.namespace, lhs.name) < (rhs.kind, rhs.namespace, rhs.name)
    }

    /// Objects in prune order: the reverse of the apply order, so Namespaces and CRDs go last.
    package static func pruneOrder(_ ids: [ResourceID]) -> [ResourceID] {
        ids.sorted { applyPrecedes($1, $0) }
    }
}
