import KubeCore

/// One object in a build, with the bookkeeping kustomize keeps beside it.
struct Resource: Sendable {
    var object: JSONValue
    /// The file it came from, relative to the build root.
    var file: String
    /// Names the object had before renames (prefix, suffix, hash), oldest first.
    var previousNames: [String] = []
    /// The kind the object had with each of `previousNames` (a patch may change both), so that the pairs are
    /// kustomize's previous ids.
    var previousKinds: [String] = []
    /// Namespaces the object had before the namespace transformer.
    var previousNamespaces: [String] = []
    /// Prefixes and suffixes applied, outermost last, used to pick among same-named references.
    var prefixes: [String] = []
    var suffixes: [String] = []
    /// Label or annotation fields that share one value node in kustomize ("labels/key" → groups of field paths);
    /// see `Transformers.setMapEntries`.
    var sharedEntries: [String: [[String]]] = [:]
    /// Whether a content-hash suffix is added at the end of the build.
    var needsHashSuffix = false
    /// The vars whose `objref` names this object (see `Var`).
    var varNames: [String] = []

    var kind: String { object["kind"]?.stringValue ?? "" }
    var apiVersion: String { object["apiVersion"]?.stringValue ?? "" }
    var gvk: GroupVersionKind { GroupVersionKind(apiVersion: apiVersion, kind: kind) }
    var name: String { object[path: ["metadata", "name"]]?.stringValue ?? "" }
    var namespace: String { object[path: ["metadata", "namespace"]]?.stringValue ?? "" }

    /// Every name this object has had, current last.
    var allNames: [String] { previousNames + [name] }

    mutating func rename(_ newName: String) {
        guard newName != name else { return }
        previousNames.append(name)
        previousKinds.append(kind)
        object.set(path: ["metadata", "name"], to: .string(newName))
    }

    /// After a patch, remembers the name and kind the object had in `before` if the patch changed them, so that
    /// later patches and references may still use the old ones (kustomize's previous ids).
    mutating func recordRename(from before: JSONValue) {
        let oldName = before[path: ["metadata", "name"]]?.stringValue ?? ""
        let oldKind = before["kind"]?.stringValue ?? ""
        guard oldName != name || oldKind != kind else { return }
        previousNames.append(oldName)
        previousKinds.append(oldKind)
    }

    /// Whether the object has, or had, this kind and name together.
    func hasOrHad(kind: String, name: String) -> Bool {
        (self.kind == kind && self.name == name)
            || zip(previousKinds, previousNames).contains { $0.0 == kind && $0.1 == name }
    }

    /// After an in-place edit (a strategic-merge patch), gives every field of a shared group the value that the
    /// edit wrote into one of them, as kustomize's shared value nodes do.
    mutating func syncSharedEntries(before: JSONValue) {
        for (linkKey, groups) in sharedEntries {
            guard let slash = linkKey.firstIndex(of: "/") else { continue }
            let key = String(linkKey[linkKey.index(after: slash)...])
            for group in groups {
                var changed: JSONValue?
                for place in group {
                    let new = Self.values(at: place, key: key, in: object)
                    if new != Self.values(at: place, key: key, in: before), let value = new.first {
                        changed = value
                        break
                    }
                }
                guard let changed else { continue }
                for place in group {
                    FieldSpec(place).visit(&object) { value in
                        guard case .some(.object(var map)) = value, map[key] != nil else { return }
                        map[key] = changed
                        value = .object(map)
                    }
                }
            }
        }
    }

    private static func values(at place: String, key: String, in object: JSONValue) -> [JSONValue] {
        var copy = object
        var found: [JSONValue] = []
        FieldSpec(place).visit(&copy) { value in
            if let entry = value?[key] { found.append(entry) }
        }
        return found
    }

    /// A stable identity: group, version, kind, namespace, name.
    var id: String {
        let gvk = self.gvk
        let group = gvk.group.isEmpty ? "[noGrp]" : gvk.group
        let ns = namespace.isEmpty || isClusterScoped ? "" : "." + namespace
        return "\(kind).\(gvk.version).\(group)/\(name)\(ns)"
    }

    /// The id ignoring version, as kustomize compares ids for duplicates.
    var identityKey: String { "\(gvk.group)|\(kind)|\(effectiveNamespace)|\(name)" }

    var effectiveNamespace: String {
        isClusterScoped ? "" : (namespace == "default" ? "" : namespace)
    }

    /// Whether the object has no namespace (by kind and API group).
    var isClusterScoped: Bool { ClusterScope.isClusterScoped(kind, group: gvk.group) }
}

/// Kinds that have no namespace, with the API groups in which they have none (a `Namespace` of another group, such
/// as a cloud provider's, is namespaced, as in kustomize).
enum ClusterScope {
    static let kinds: [String: Set<String>] = [
        "Namespace": [""], "PersistentVolume": [""], "Node": [""], "ComponentStatus": [""],
        "ClusterRole": ["rbac.authorization.k8s.io"], "ClusterRoleBinding": ["rbac.authorization.k8s.io"],
        "CustomResourceDefinition": ["apiextensions.k8s.io"], "APIService": ["apiregistration.k8s.io"],
        "StorageClass": ["storage.k8s.io"], "CSIDriver": ["storage.k8s.io"], "CSINode": ["storage.k8s.io"],
        "VolumeAttachment": ["storage.k8s.io"], "PriorityClass": ["scheduling.k8s.io"],
        "ValidatingWebhookConfiguration": ["admissionregistration.k8s.io"],
        "MutatingWebhookConfiguration": ["admissionregistration.k8s.io"],
        "ValidatingAdmissionPolicy": ["admissionregistration.k8s.io"],
        "ValidatingAdmissionPolicyBinding": ["admissionregistration.k8s.io"],
        "IngressClass": ["networking.k8s.io"], "RuntimeClass": ["node.k8s.io"],
        "PodSecurityPolicy": ["policy", "extensions"],
        "CertificateSigningRequest": ["certificates.k8s.io"], "ClusterTrustBundle": ["certificates.k8s.io"],
        "FlowSchema": ["flowcontrol.apiserver.k8s.io"], "PriorityLevelConfiguration": ["flowcontrol.apiserver.k8s.io"],
        "SelfSubjectReview": ["authentication.k8s.io"], "TokenReview": ["authentication.k8s.io"],
        "SubjectAccessReview": ["authorization.k8s.io"], "SelfSubjectAccessReview": ["authorization.k8s.io"],
        "SelfSubjectRulesReview": ["authorization.k8s.io"], "StorageVersion": ["internal.apiserver.k8s.io"],
    ]

    /// Whether objects of `kind` in `group` (any group when nil) have no namespace.
    static func isClusterScoped(_ kind: String, group: String? = nil) -> Bool {
        guard let groups = kinds[kind] else { return false }
        return group.map { groups.contains($0) } ?? true
    }
}
