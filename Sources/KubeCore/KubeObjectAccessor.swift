extension JSONValue {
    /// Typed access to the `apiVersion`, `kind` and `metadata` fields of an unstructured Kubernetes object.
    ///
    /// ```swift
    /// var object: JSONValue = ...
    /// object.kube.name            // metadata.name
    /// object.kube.labels["app"] = "web"
    /// ```
    /// Reading a missing field gives `nil` (or an empty collection); setting `nil` or an empty collection removes it.
    public var kube: KubeObjectAccessor {
        get { KubeObjectAccessor(value: self) }
        set { self = newValue.value }
    }
}

/// A view of an unstructured object's type and object metadata; see ``JSONValue/kube``.
public struct KubeObjectAccessor: Sendable {
    /// The whole object.
    public var value: JSONValue

    public init(value: JSONValue) {
        self.value = value
    }

    private func string(_ key: String) -> String? { value[path: ["metadata", key]]?.stringValue }
    private mutating func setString(_ key: String, _ newValue: String?) {
        value.set(path: ["metadata", key], to: newValue.map(JSONValue.string))
    }

    private func stringMap(_ key: String) -> [String: String] {
        var map: [String: String] = [:]
        for (name, value) in value[path: ["metadata", key]]?.objectValue ?? JSONObject() {
            if let string = value.stringValue { map[name] = string }
        }
        return map
    }

    private mutating func setStringMap(_ key: String, _ newValue: [String: String]) {
        if newValue.isEmpty {
            value.set(path: ["metadata", key], to: nil)
            return
        }
        // Keep the existing order for keys that stay; append new keys sorted.
        var object = JSONObject()
        let existing = value[path: ["metadata", key]]?.objectValue ?? JSONObject()
        for name in existing.keys where newValue[name] != nil {
            object[name] = .string(newValue[name] ?? "")
        }
        for name in newValue.keys.sorted() where object[name] == nil {
            object[name] = .string(newValue[name] ?? "")
        }
        value.set(path: ["metadata", key], to: .object(object))
    }

    /// `apiVersion`.
    public var apiVersion: String? {
        get { value["apiVersion"]?.stringValue }
        set { value["apiVersion"] = newValue.map(JSONValue.string) }
    }

    /// `kind`.
    public var kind: String? {
        get { value["kind"]?.stringValue }
        set { value["kind"] = newValue.map(JSONValue.string) }
    }

    /// The group, version and kind from `apiVersion` and `kind`, if both are present.
    public var groupVersionKind: GroupVersionKind? {
        guard let apiVersion, let kind else { return nil }
        return GroupVersionKind(apiVersion: apiVersion, kind: kind)
    }

    /// `metadata.name`.
    public var name: String? {
        get { string("name") }
        set { setString("name", newValue) }
    }

    /// `metadata.generateName`.
    public var generateName: String? {
        get { string("generateName") }
        set { setString("generateName", newValue) }
    }

    /// `metadata.namespace`.
    public var namespace: String? {
        get { string("namespace") }
        set { setString("namespace", newValue) }
    }

    /// `metadata.uid`.
    public var uid: String? {
        get { string("uid") }
        set { setString("uid", newValue) }
    }

    /// `metadata.resourceVersion`.
    public var resourceVersion: String? {
        get { string("resourceVersion") }
        set { setString("resourceVersion", newValue) }
    }

    /// `metadata.creationTimestamp` (RFC 3339 text).
    public var creationTimestamp: String? {
        get { string("creationTimestamp") }
        set { setString("creationTimestamp", newValue) }
    }

    /// `metadata.deletionTimestamp` (RFC 3339 text); set when the object is being deleted.
    public var deletionTimestamp: String? {
        get { string("deletionTimestamp") }
        set { setString("deletionTimestamp", newValue) }
    }

    /// Whether `metadata.deletionTimestamp` is set.
    public var isBeingDeleted: Bool { deletionTimestamp != nil }

    /// `metadata.generation`.
    public var generation: Int64? {
        get { value[path: ["metadata", "generation"]]?.integerValue }
        set { value.set(path: ["metadata", "generation"], to: newValue.map(JSONValue.integer)) }
    }

    /// `metadata.labels`.
    public var labels: [String: String] {
        get { stringMap("labels") }
        set { setStringMap("labels", newValue) }
    }

    /// `metadata.annotations`.
    public var annotations: [String: String] {
        get { stringMap("annotations") }
        set { setStringMap("annotations", newValue) }
    }

    /// `metadata.finalizers`, in order.
    public var finalizers: [String] {
        get { (value[path: ["metadata", "finalizers"]]?.arrayValue ?? []).compactMap(\.stringValue) }
        set {
            value.set(path: ["metadata", "finalizers"], to: newValue.isEmpty ? nil : .array(newValue.map(JSONValue.string)))
        }
    }

    /// `metadata.ownerReferences`, unparsed.
    public var ownerReferences: [JSONValue] {
        get { value[path: ["metadata", "ownerReferences"]]?.arrayValue ?? [] }
        set { value.set(path: ["metadata", "ownerReferences"], to: newValue.isEmpty ? nil : .array(newValue)) }
    }
}
