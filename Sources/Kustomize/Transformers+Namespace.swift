import KubeCore

extension Transformers {
    /// Sets the namespace in the configured namespace fields other than `metadata/namespace` (which the caller
    /// sets): by default a `v1` Namespace's own name, an APIService's service and a CRD's conversion-webhook service.
    /// As kustomize, `metadata/name` is only set on `v1` objects and role-binding subjects are left to the caller.
    func applyNamespaceSpecs(_ namespace: String, to resource: inout Resource) {
        let isBinding = resource.kind == "RoleBinding" || resource.kind == "ClusterRoleBinding"
        for spec in config.namespace where spec.applies(to: resource) {
            switch spec.pathText {
            case "metadata/namespace": continue
            case "metadata/name":
                guard resource.apiVersion == "v1" else { continue }
                resource.rename(namespace)
                continue
            case "subjects/namespace" where isBinding: continue
            default: break
            }
            spec.visit(&resource.object) { $0 = .string(namespace) }
        }
    }
}
