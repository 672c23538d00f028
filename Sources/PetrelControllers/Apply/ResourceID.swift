import KubeCore
import PetrelAPI

/// The identity of one Kubernetes object: group, kind, namespace and name, plus the version it is served at.
///
/// Equality and hashing ignore ``version`` (as Flux's `ObjMetadata` does), so an object whose manifest moves from
/// `v1beta1` to `v1` is the same object and is not pruned. ``namespace`` is empty for cluster-scoped objects.
package struct ResourceID: Hashable, Sendable, CustomStringConvertible {
    package var group: String
    package var version: String
    package var kind: String
    package var namespace: String
    package var name: String

    package init(group: String, version: String, kind: String, namespace: String, name: String) {
        self.group = group
        self.version = version
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }

    /// The identity of a manifest; `nil` without `apiVersion`, `kind` or `metadata.name`. The namespace is taken
    /// as written (empty when absent); the apply engine fills in the default namespace for namespaced kinds.
    package init?(object: JSONValue) {
        guard let gvk = object.kube.groupVersionKind, !gvk.kind.isEmpty, !gvk.version.isEmpty,
            let name = object.kube.name, !name.isEmpty
        else { return nil }
        self.init(
            group: gvk.group, version: gvk.version, kind: gvk.kind, namespace: object.kube.namespace ?? "", name: name)
    }

    /// The identity of an inventory entry; `nil` when its id does not have four `_`-separated parts.
    package init?(inventory: ResourceRef) {
        guard let parts = inventory.parts, !parts.kind.isEmpty, !parts.name.isEmpty, !inventory.v.isEmpty else {
            return nil
        }
        self.init(
            group: parts.group, version: inventory.v, kind: parts.kind, namespace: parts.namespace, name: parts.name)
    }

    /// The inventory entry of this object (`<namespace>_<name>_<group>_<kind>`, `v`).
    package var inventoryRef: ResourceRef {
        ResourceRef(namespace: namespace, name: name, group: group, kind: kind, version: version)
    }

    package var groupVersionKind: GroupVersionKind { GroupVersionKind(group: group, version: version, kind: kind) }

    /// `Kind/namespace/name`, or `Kind/name` for a cluster-scoped object (Flux's format).
    package var description: String { namespace.isEmpty ? "\(kind)/\(name)" : "\(kind)/\(namespace)/\(name)" }

    package static func == (lhs: ResourceID, rhs: ResourceID) -> Bool {
        lhs.group == rhs.group && lhs.kind == rhs.kind && lhs.namespace == rhs.namespace && lhs.name == rhs.name
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(group)
        hasher.combine(kind)
        hasher.combine(namespace)
        hasher.combine(name)
    }
}

/// What the apply engine did to one object.
package enum ChangeAction: String, Sendable {
    case created, configured, unchanged, deleted, skipped
}

/// One line of a change set: an object and what happened to it.
package struct ChangeSetEntry: Sendable, Equatable, CustomStringConvertible {
    package var id: ResourceID
    package var action: ChangeAction

    package init(id: ResourceID, action: ChangeAction) {
        self.id = id
        self.action = action
    }

    /// `Deployment/apps/web configured`.
    package var description: String { "\(id) \(action.rawValue)" }
}

/// How ``ApplyEngine/apply(_:options:)`` and ``ApplyEngine/validate(_:options:)`` treat the objects.
package struct ApplyOptions: Sendable {
    /// Recreate objects whose update the server rejects because an immutable field changed. Default false; an
    /// object can opt in alone with the annotation or label `kustomize.petrel.dev/force: enabled`.
    package var force: Bool
    /// Labels added to every object (e.g. `kustomize.petrel.dev/name`). Default none.
    package var labels: [String: String]
    /// Verified objects whose dry-run may be skipped while unchanged, and whether planning computes digests to
    /// verify objects; set by ``ApplyEngine/validateAndApply(_:options:verified:)`` only. Nil: every object is
    /// dry-run and nothing is recorded.
    var verification: ApplyEngine.Verification? = nil
    /// Refuse to write objects another owner manages (see ``ApplyOwnership``). Default nil: no check, every
    /// existing object is taken over (server-side apply with `force`).
    package var ownership: ApplyOwnership? = nil

    package init(force: Bool = false, labels: [String: String] = [:]) {
        self.force = force
        self.labels = labels
    }
}
