import KubeCore
import NIOHTTP1

/// A page (or the whole) of a list response.
public struct ObjectList: Sendable {
    /// The objects; each has `apiVersion` and `kind` filled in from the list's.
    public var items: [JSONValue]
    /// `metadata.resourceVersion` of the list: start a watch from here.
    public var resourceVersion: String
    /// `metadata.continue`: pass as ``QueryOptions/continueToken`` to get the next page; empty at the end.
    public var continueToken: String

    public init(items: [JSONValue], resourceVersion: String, continueToken: String) {
        self.items = items
        self.resourceVersion = resourceVersion
        self.continueToken = continueToken
    }
}

/// A patch body and its content type.
public enum Patch: Sendable {
    /// RFC 7386 JSON merge patch (`application/merge-patch+json`).
    case merge(JSONValue)
    /// RFC 6902 JSON patch, an array of operations (`application/json-patch+json`).
    case json([JSONValue])
    /// Strategic merge patch (`application/strategic-merge-patch+json`; built-in types only).
    case strategic(JSONValue)

    var contentType: String {
        switch self {
        case .merge: "application/merge-patch+json"
        case .json: "application/json-patch+json"
        case .strategic: "application/strategic-merge-patch+json"
        }
    }

    var body: JSONValue {
        switch self {
        case .merge(let value), .strategic(let value): value
        case .json(let operations): .array(operations)
        }
    }
}

/// Options of a delete (sent as a `DeleteOptions` body).
public struct DeleteOptions: Sendable {
    public var propagationPolicy: QueryOptions.PropagationPolicy?
    /// Delete only if the object still has this UID.
    public var preconditionUID: String?
    /// Delete only if the object still has this resourceVersion.
    public var preconditionResourceVersion: String?
    public var gracePeriodSeconds: Int?
    public var dryRun: Bool

    public init(
        propagationPolicy: QueryOptions.PropagationPolicy? = nil, preconditionUID: String? = nil,
        preconditionResourceVersion: String? = nil, gracePeriodSeconds: Int? = nil, dryRun: Bool = false
    ) {
        self.propagationPolicy = propagationPolicy
        self.preconditionUID = preconditionUID
        self.preconditionResourceVersion = preconditionResourceVersion
        self.gracePeriodSeconds = gracePeriodSeconds
        self.dryRun = dryRun
    }

    /// The `meta.k8s.io/v1` `DeleteOptions` body.
    public var json: JSONValue {
        var body: JSONValue = ["apiVersion": "v1", "kind": "DeleteOptions"]
        if let propagationPolicy { body["propagationPolicy"] = .string(propagationPolicy.rawValue) }
        if let gracePeriodSeconds { body["gracePeriodSeconds"] = .integer(Int64(gracePeriodSeconds)) }
        if dryRun { body["dryRun"] = ["All"] }
        if preconditionUID != nil || preconditionResourceVersion != nil {
            var preconditions = JSONObject()
            if let preconditionUID { preconditions["uid"] = .string(preconditionUID) }
            if let preconditionResourceVersion { preconditions["resourceVersion"] = .string(preconditionResourceVersion) }
            body["preconditions"] = .object(preconditions)
        }
        return body
    }
}

extension KubeClient {
    /// Reads one object (`GET`).
    public func get(
        _ resource: GroupVersionResource, namespace: String? = nil, name: String, subresource: String? = nil,
        options: QueryOptions = QueryOptions()
    ) async throws(KubeClientError) -> JSONValue {
        let path = ResourcePath(resource: resource, namespace: namespace, name: name, subresource: subresource)
        return try await requestJSON(.GET, path.path, options: options)
    }

    /// Lists one page of objects. Set ``QueryOptions/limit`` and ``QueryOptions/continueToken`` to paginate.
    public func list(
        _ resource: GroupVersionResource, namespace: String? = nil, options: QueryOptions = QueryOptions()
    ) async throws(KubeClientError) -> ObjectList {
        let path = ResourcePath(resource: resource, namespace: namespace)
        let json = try await requestJSON(.GET, path.path, options: options)
        guard let items = json["items"]?.arrayValue ?? (json["items"]?.isNull == true ? [] : nil) else {
            throw .decoding("list response of \(path.path) has no items array")
        }
        let listKind = json["kind"]?.stringValue ?? ""
        let itemKind = listKind.hasSuffix("List") ? String(listKind.dropLast(4)) : nil
        let apiVersion = json["apiVersion"]?.stringValue
        let filled = items.map { item in
            var item = item
            if item["kind"] == nil, let itemKind { item["kind"] = .string(itemKind) }
            if item["apiVersion"] == nil, let apiVersion { item["apiVersion"] = .string(apiVersion) }
            return item
        }
        return ObjectList(
            items: filled, resourceVersion: json[path: ["metadata", "resourceVersion"]]?.stringValue ?? "",
            continueToken: json[path: ["metadata", "continue"]]?.stringValue ?? "")
    }

    /// Lists every object, following `continue` tokens page by page (`pageSize` objects per request).
    /// The returned resourceVersion is that of the last page.
    public func listAll(
        _ resource: GroupVersionResource, namespace: String? = nil, options: QueryOptions = QueryOptions(),
        pageSize: Int = 500
    ) async throws(KubeClientError) -> ObjectList {
        var options = options
        options.limit = pageSize
        options.continueToken = nil
        var all = ObjectList(items: [], resourceVersion: "", continueToken: "")
        while true {
            let page = try await list(resource, namespace: namespace, options: options)
            all.items += page.items
            all.resourceVersion = page.resourceVersion
            if page.continueToken.isEmpty { return all }
            options.continueToken = page.continueToken
            // The server ignores resourceVersion on continued pages.
            options.resourceVersion = nil
        }
    }

    /// Creates an object (`POST` to the collection).
    public func create(
        _ resource: GroupVersionResource, namespace: String? = nil, _ object: JSONValue,
        options: QueryOptions = QueryOptions()
    ) async throws(KubeClientError) -> JSONValue {
        let path = ResourcePath(resource: resource, namespace: namespace ?? object.kube.namespace)
        return try await requestJSON(.POST, path.path, options: options, body: object)
    }

    /// Replaces an object (`PUT`); `metadata.resourceVersion` in the object makes it an optimistic update
    /// that fails with ``KubeClientError/conflict(_:)`` when stale.
    public func update(
        _ resource: GroupVersionResource, namespace: String? = nil, _ object: JSONValue,
        options: QueryOptions = QueryOptions()
    ) async throws(KubeClientError) -> JSONValue {
        try await put(resource, namespace: namespace, object, subresource: nil, options: options)
    }

    /// Replaces the `status` subresource (`PUT …/status`).
    public func updateStatus(
        _ resource: GroupVersionResource, namespace: String? = nil, _ object: JSONValue,
        options: QueryOptions = QueryOptions()
    ) async throws(KubeClientError) -> JSONValue {
        try await put(resource, namespace: namespace, object, subresource: "status", options: options)
    }

    private func put(
        _ resource: GroupVersionResource, namespace: String?, _ object: JSONValue, subresource: String?,
        options: QueryOptions
    ) async throws(KubeClientError) -> JSONValue {
        guard let name = object.kube.name, !name.isEmpty else {
            throw .configuration("cannot update an object without metadata.name")
        }
        let path = ResourcePath(
            resource: resource, namespace: namespace ?? object.kube.namespace, name: name, subresource: subresource)
        return try await requestJSON(.PUT, path.path, options: options, body: object)
    }

    /// Deletes an object. Returns the object (while finalizers run) or the server's `Status`.
    @discardableResult
    public func delete(
        _ resource: GroupVersionResource, namespace: String? = nil, name: String,
        options: DeleteOptions = DeleteOptions()
    ) async throws(KubeClientError) -> JSONValue {
        let path = ResourcePath(resource: resource, namespace: namespace, name: name)
        return try await requestJSON(.DELETE, path.path, body: options.json)
    }

    /// Patches an object (or a subresource such as `status`).
    public func patch(
        _ resource: GroupVersionResource, namespace: String? = nil, name: String, _ patch: Patch,
        subresource: String? = nil, options: QueryOptions = QueryOptions()
    ) async throws(KubeClientError) -> JSONValue {
        let path = ResourcePath(resource: resource, namespace: namespace, name: name, subresource: subresource)
        return try await requestJSON(.PATCH, path.path, options: options, body: patch.body, contentType: patch.contentType)
    }

    /// Patches the `status` subresource.
    public func patchStatus(
        _ resource: GroupVersionResource, namespace: String? = nil, name: String, _ patch: Patch,
        options: QueryOptions = QueryOptions()
    ) async throws(KubeClientError) -> JSONValue {
        try await self.patch(resource, namespace: namespace, name: name, patch, subresource: "status", options: options)
    }

    /// Server-side apply: `PATCH` with `application/apply-patch+yaml` (the JSON body is valid YAML).
    ///
    /// - Parameters:
    ///   - fieldManager: required; the owner of the applied fields.
    ///   - force: take ownership of fields other managers own instead of failing with a conflict.
    public func apply(
        _ resource: GroupVersionResource, namespace: String? = nil, _ object: JSONValue, fieldManager: String,
        force: Bool = false, subresource: String? = nil, dryRun: Bool = false
    ) async throws(KubeClientError) -> JSONValue {
        guard let name = object.kube.name, !name.isEmpty else {
            throw .configuration("cannot apply an object without metadata.name")
        }
        let path = ResourcePath(resource: resource, namespace: namespace ?? object.kube.namespace, name: name, subresource: subresource)
        let options = QueryOptions(dryRun: dryRun ? true : nil, fieldManager: fieldManager, force: force)
        return try await requestJSON(.PATCH, path.path, options: options, body: object, contentType: "application/apply-patch+yaml")
    }
}

extension KubeClient {
    /// Server-side apply of a manifest, resolving its resource from `apiVersion`/`kind` through ``discovery``.
    /// A namespaced object without `metadata.namespace` goes to the configuration's namespace.
    public func apply(_ object: JSONValue, fieldManager: String, force: Bool = false, dryRun: Bool = false)
        async throws(KubeClientError) -> JSONValue
    {
        let (resource, namespace) = try await locate(object)
        return try await apply(resource, namespace: namespace, object, fieldManager: fieldManager, force: force, dryRun: dryRun)
    }

    /// Reads the live version of a manifest's object, resolving its resource through ``discovery``.
    public func get(like object: JSONValue) async throws(KubeClientError) -> JSONValue {
        let (resource, namespace) = try await locate(object)
        guard let name = object.kube.name else { throw .configuration("object has no metadata.name") }
        return try await get(resource, namespace: namespace, name: name)
    }

    /// Deletes a manifest's object, resolving its resource through ``discovery``.
    @discardableResult
    public func delete(like object: JSONValue, options: DeleteOptions = DeleteOptions()) async throws(KubeClientError) -> JSONValue {
        let (resource, namespace) = try await locate(object)
        guard let name = object.kube.name else { throw .configuration("object has no metadata.name") }
        return try await delete(resource, namespace: namespace, name: name, options: options)
    }

    /// The resource and namespace of a manifest.
    public func locate(_ object: JSONValue) async throws(KubeClientError) -> (GroupVersionResource, String?) {
        guard let gvk = object.kube.groupVersionKind else {
            throw .configuration("object has no apiVersion or kind")
        }
        let info = try await discovery.resource(for: gvk, client: self)
        return (info.groupVersionResource, info.namespaced ? (object.kube.namespace ?? config.namespace) : nil)
    }
}

extension KubeClient {
    /// `GET` of an arbitrary API path (e.g. `/version`, `/healthz`-style JSON endpoints), parsed as JSON.
    public func rawGet(_ path: String, options: QueryOptions = QueryOptions()) async throws(KubeClientError) -> JSONValue {
        try await requestJSON(.GET, path, options: options)
    }
}
