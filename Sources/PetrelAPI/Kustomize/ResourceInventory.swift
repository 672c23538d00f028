/// The objects a Kustomization applied (Flux's `ResourceInventory`).
public struct ResourceInventory: Sendable, Hashable, Codable {
    /// One entry per object.
    public var entries: [ResourceRef]

    /// An inventory of `entries`.
    public init(entries: [ResourceRef] = []) {
        self.entries = entries
    }
}

/// One object in a ``ResourceInventory``: `id` is `<namespace>_<name>_<group>_<kind>` and `v` the version, so a
/// Service is `{id: "default_web__Service", v: "v1"}` (the core group is empty).
public struct ResourceRef: Sendable, Hashable, Codable {
    /// `<namespace>_<name>_<group>_<kind>`; the namespace is empty for cluster-scoped objects.
    public var id: String
    /// The API version, without the group.
    public var v: String

    /// An entry with a ready-made id.
    public init(id: String, v: String) {
        self.id = id
        self.v = v
    }

    /// The entry for the object named by the arguments.
    public init(namespace: String, name: String, group: String, kind: String, version: String) {
        self.id = "\(namespace)_\(name)_\(group)_\(kind)"
        self.v = version
    }

    /// The four parts of ``id``, or `nil` when it does not have exactly four `_`-separated parts.
    public var parts: (namespace: String, name: String, group: String, kind: String)? {
        let fields = id.split(separator: "_", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 4 else { return nil }
        return (fields[0], fields[1], fields[2], fields[3])
    }

    /// The `apiVersion` of the object: `v` for the core group, else `<group>/<v>`.
    public var apiVersion: String? {
        guard let parts else { return nil }
        return parts.group.isEmpty ? v : "\(parts.group)/\(v)"
    }
}
