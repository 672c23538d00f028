import KubeCore

extension Transformers {
    /// Which subjects of (Cluster)RoleBindings the namespace transformer changes (`setRoleBindingSubjects`).
    enum SubjectMode: String {
        /// Subjects named `default` (kustomize's default).
        case defaultOnly
        /// Every ServiceAccount subject.
        case allServiceAccounts
        /// None.
        case none
    }

    /// Sets `namespace` on every namespaced resource's metadata and on the fields at `specs`, as kustomize's
    /// namespace filter does: a `metadata/name` spec renames only `v1` objects (a Namespace), `subjects` of role
    /// bindings follow `subjects`, and with `unsetOnly` only empty fields are set.
    static func applyNamespace(
        _ namespace: String, specs: [FieldSpec], unsetOnly: Bool = false, subjects: SubjectMode = .defaultOnly,
        to resources: inout [Resource]
    ) {
        guard !namespace.isEmpty else { return }
        for index in resources.indices {
            let kind = resources[index].kind
            let old = resources[index].namespace
            if !resources[index].isClusterScoped, old != namespace, !(unsetOnly && !old.isEmpty) {
                resources[index].previousNamespaces.append(old)
                resources[index].object.set(path: ["metadata", "namespace"], to: .string(namespace))
            }
            if kind == "RoleBinding" || kind == "ClusterRoleBinding" {
                setSubjectNamespaces(namespace, mode: subjects, unsetOnly: unsetOnly, in: &resources[index])
            }
            for spec in specs where spec.applies(to: resources[index]) && !spec.isNamespaceSpec {
                if spec.isMetadataName {
                    let current = resources[index].name
                    if resources[index].apiVersion == "v1", !(unsetOnly && !current.isEmpty) {
                        resources[index].rename(namespace)
                    }
                    continue
                }
                spec.visit(&resources[index].object) { value in
                    if unsetOnly, let text = value?.stringValue, !text.isEmpty { return }
                    value = .string(namespace)
                }
            }
        }
    }

    private static func setSubjectNamespaces(
        _ namespace: String, mode: SubjectMode, unsetOnly: Bool, in resource: inout Resource
    ) {
        guard mode != .none, var subjects = resource.object[path: ["subjects"]]?.arrayValue else { return }
        for s in subjects.indices {
            let selected =
                mode == .defaultOnly
                ? subjects[s]["name"]?.stringValue == "default"
                : subjects[s]["kind"]?.stringValue == "ServiceAccount"
            guard selected, subjects[s].objectValue != nil else { continue }
            if unsetOnly, let current = subjects[s]["namespace"]?.stringValue, !current.isEmpty { continue }
            subjects[s]["namespace"] = .string(namespace)
        }
        resource.object.set(path: ["subjects"], to: .array(subjects))
    }
}

extension FieldSpec {
    /// `metadata/namespace` (set on every namespaced object anyway) or a role binding's `subjects/namespace`
    /// (set by the subject mode), which the namespace transformer skips among its specs.
    fileprivate var isNamespaceSpec: Bool {
        pathText == "metadata/namespace"
            || (pathText == "subjects/namespace" && (kind == "RoleBinding" || kind == "ClusterRoleBinding"))
    }
}
