/// The `metadata` of a Kubernetes object (`metav1.ObjectMeta`), with the fields Petrel reads or writes.
///
/// Fields a controller never interprets, such as `managedFields`, are kept as ``RawJSON`` so an object read from the
/// API server can be written back unchanged.
public struct ObjectMeta: Sendable, Hashable, Codable {
    /// The object's name, unique within its namespace.
    public var name: String?
    /// The prefix the server uses to make a name when `name` is empty.
    public var generateName: String?
    /// The namespace; empty for cluster-scoped objects.
    public var namespace: String?
    /// The server-assigned unique ID.
    public var uid: String?
    /// The opaque version the server uses for optimistic concurrency and watches.
    public var resourceVersion: String?
    /// The generation of the desired state, bumped by the server on every `spec` change.
    public var generation: Int64?
    /// When the object was created.
    public var creationTimestamp: Time?
    /// When graceful deletion was requested; set only while finalizers hold the object.
    public var deletionTimestamp: Time?
    /// Seconds allowed for graceful termination, when deletion has been requested.
    public var deletionGracePeriodSeconds: Int64?
    /// Identifying key/value pairs used by selectors.
    public var labels: [String: String]?
    /// Non-identifying key/value pairs.
    public var annotations: [String: String]?
    /// The objects this object depends on, for garbage collection.
    public var ownerReferences: [OwnerReference]?
    /// Keys that must be removed before the object is deleted from storage.
    public var finalizers: [String]?
    /// Server-side apply field ownership, kept opaque.
    public var managedFields: [RawJSON]?

    /// Metadata with just a name and, for namespaced objects, a namespace.
    public init(name: String? = nil, namespace: String? = nil) {
        self.name = name
        self.namespace = namespace
    }

    /// Whether graceful deletion has been requested.
    public var isBeingDeleted: Bool { deletionTimestamp != nil }

    /// Whether `finalizer` is present.
    public func hasFinalizer(_ finalizer: String) -> Bool { finalizers?.contains(finalizer) ?? false }

    /// Adds `finalizer` if missing; returns whether it changed anything.
    @discardableResult
    public mutating func addFinalizer(_ finalizer: String) -> Bool {
        guard !hasFinalizer(finalizer) else { return false }
        finalizers = (finalizers ?? []) + [finalizer]
        return true
    }

    /// Removes `finalizer`; returns whether it was present. An emptied list becomes `nil`.
    @discardableResult
    public mutating func removeFinalizer(_ finalizer: String) -> Bool {
        guard let current = finalizers, current.contains(finalizer) else { return false }
        let remaining = current.filter { $0 != finalizer }
        finalizers = remaining.isEmpty ? nil : remaining
        return true
    }
}

/// A reference from an object to its owner (`metav1.OwnerReference`).
public struct OwnerReference: Sendable, Hashable, Codable {
    /// The owner's `apiVersion`.
    public var apiVersion: String
    /// The owner's kind.
    public var kind: String
    /// The owner's name.
    public var name: String
    /// The owner's UID.
    public var uid: String
    /// Whether the owner is the managing controller.
    public var controller: Bool?
    /// Whether the owner cannot be deleted (foreground deletion) until this reference is removed.
    public var blockOwnerDeletion: Bool?

    /// A reference to the owner named by the arguments.
    public init(
        apiVersion: String, kind: String, name: String, uid: String, controller: Bool? = nil,
        blockOwnerDeletion: Bool? = nil
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }
}

/// A reference to an object in the same namespace by name (`meta.LocalObjectReference`).
public struct LocalObjectReference: Sendable, Hashable, Codable {
    /// The referent's name.
    public var name: String

    /// A reference to `name`.
    public init(name: String) {
        self.name = name
    }
}
