import KubeCore

/// kustomize's legacy output order: by kind priority, then group/version/kind, then namespace and name.
enum Ordering {
    static let first = [
        "Namespace", "ResourceQuota", "StorageClass", "CustomResourceDefinition", "ServiceAccount", "PodSecurityPolicy",
        "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ConfigMap", "Secret", "Endpoints", "Service",
        "LimitRange", "PriorityClass", "PersistentVolume", "PersistentVolumeClaim", "Deployment", "StatefulSet",
        "CronJob", "PodDisruptionBudget",
    ]
    static let last = ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]

    static func rank(_ kind: String) -> Int {
        if let index = first.firstIndex(of: kind) { return index }
        if let index = last.firstIndex(of: kind) { return first.count + 1 + index }
        return first.count
    }

    static func gvkString(_ gvk: GroupVersionKind) -> String {
        (gvk.group.isEmpty ? "~G" : gvk.group) + "_" + (gvk.version.isEmpty ? "~V" : gvk.version) + "_"
            + (gvk.kind.isEmpty ? "~K" : gvk.kind)
    }

    /// kustomize's legacy comparison: kind rank, then the group/version/kind string (reversed between two
    /// Namespace kinds when one has no group), then `namespace|name` with `~X`/`~N` for an empty namespace or name.
    static func legacySorted(_ resources: [Resource]) -> [Resource] {
        let keyed = resources.enumerated().map { offset, resource in
            let namespace = resource.namespace.isEmpty ? "~X" : resource.namespace
            let name = resource.name.isEmpty ? "~N" : resource.name
            return (offset, rank(resource.kind), gvkString(resource.gvk), namespace + "|" + name, resource)
        }
        return keyed.sorted { a, b in
            if a.1 != b.1 { return a.1 < b.1 }
            if a.2 != b.2 {
                if a.4.kind == "Namespace" && b.4.kind == "Namespace"
                    && (a.4.gvk.group.isEmpty || b.4.gvk.group.isEmpty)
                {
                    return a.2 > b.2
                }
                return a.2 < b.2
            }
            if a.3 != b.3 { return a.3 < b.3 }
            return a.0 < b.0
        }.map(\.4)
    }
}
