extension APIHandler {
    /// The identity `request` acts as once impersonation headers are applied, if that identity may do the request.
    ///
    /// Members of `system:masters` (the local administrator) may do everything; everyone else is decided by the
    /// stored RBAC objects (``RBACPolicy``). A server-side apply (`PATCH` with `application/apply-patch+yaml`) of
    /// an object that does not exist yet also needs `create`, as on kube-apiserver.
    /// - Throws: 403 `Forbidden` with kube-apiserver's message, or 400 for a malformed impersonation.
    func authorize(_ request: APIRequest, as user: UserInfo) throws(APIError) -> UserInfo {
        let store = self.store
        let effective = try Impersonation.effectiveUser(request.credentials, caller: user) { namespace in
            RBACPolicy(store: store, namespace: namespace)
        }
        if effective.isClusterAdmin { return effective }
        let attributes = RequestAttributes(request)
        let policy = RBACPolicy(store: store, namespace: attributes.namespace)
        guard policy.allows(effective, attributes) else { throw Authorization.forbidden(effective, attributes) }
        if attributes.verb == "patch", request.contentType.contains("apply-patch"), attributes.subresource.isEmpty,
            !objectExists(attributes)
        {
            var create = attributes
            create.verb = "create"
            guard policy.allows(effective, create) else { throw Authorization.forbidden(effective, create) }
        }
        return effective
    }

    /// Whether the object a request names is stored (unknown kinds count as present: routing answers 404).
    private func objectExists(_ attributes: RequestAttributes) -> Bool {
        guard let type = store.type(group: attributes.apiGroup, version: attributes.apiVersion, plural: attributes.resource)
        else { return true }
        let namespace = type.namespaced ? attributes.namespace : nil
        return (try? store.get(type, namespace: namespace, name: attributes.name)) != nil
    }
}

/// Authorization errors as kube-apiserver writes them.
enum Authorization {
    /// 403 `Forbidden`, e.g. `configmaps "x" is forbidden: User "system:serviceaccount:team-a:deployer" cannot
    /// create resource "configmaps" in API group "" in the namespace "team-b"`.
    static func forbidden(_ user: UserInfo, _ attributes: RequestAttributes) -> APIError {
        let reason: String
        if !attributes.isResourceRequest {
            reason = "User \"\(user.name)\" cannot \(attributes.verb) path \"\(attributes.path)\""
            return APIError(code: 403, reason: "Forbidden", message: "forbidden: \(reason)")
        }
        let scope =
            attributes.namespace.isEmpty
            ? "at the cluster scope" : "in the namespace \"\(attributes.namespace)\""
        reason =
            "User \"\(user.name)\" cannot \(attributes.verb) resource \"\(attributes.qualifiedResource)\" in API group "
            + "\"\(attributes.apiGroup)\" \(scope)"
        let qualified = attributes.apiGroup.isEmpty ? attributes.resource : "\(attributes.resource).\(attributes.apiGroup)"
        let message =
            attributes.name.isEmpty
            ? "\(qualified) is forbidden: \(reason)" : "\(qualified) \"\(attributes.name)\" is forbidden: \(reason)"
        return APIError(
            code: 403, reason: "Forbidden", message: message, name: attributes.name.isEmpty ? nil : attributes.name,
            group: attributes.apiGroup, kind: attributes.resource)
    }
}
