import KubeCore

/// The RBAC objects that decide a request (`rbac.authorization.k8s.io/v1` Roles, ClusterRoles and their bindings),
/// and the evaluation kube-apiserver's RBAC authorizer performs on them. Pure data: built from JSON, no IO.
///
/// Supported: rules with `verbs` (and `*`), `apiGroups` (and `*`), `resources` (and `*`, `<resource>/<sub>`,
/// `*/<sub>`), `resourceNames`, `nonResourceURLs` (exact or ending in `*`); RoleBindings to a Role or ClusterRole
/// in their namespace; ClusterRoleBindings; subjects of kind User, Group and ServiceAccount. Not supported:
/// ClusterRole `aggregationRule` (aggregated roles are empty unless their rules are stored).
///
/// Bootstrap roles a fresh cluster has (`cluster-admin`, `system:discovery`, `system:basic-user`,
/// `system:public-info-viewer`) and their bindings to `system:masters`, `system:authenticated` and
/// `system:unauthenticated` are built in; a stored ClusterRole of the same name replaces the built-in one.
struct RBACPolicy: Sendable {
    /// One `PolicyRule`.
    struct Rule: Sendable, Equatable {
        var verbs: [String] = []
        var apiGroups: [String] = []
        var resources: [String] = []
        var resourceNames: [String] = []
        var nonResourceURLs: [String] = []

        init(
            verbs: [String], apiGroups: [String] = [], resources: [String] = [], resourceNames: [String] = [],
            nonResourceURLs: [String] = []
        ) {
            self.verbs = verbs
            self.apiGroups = apiGroups
            self.resources = resources
            self.resourceNames = resourceNames
            self.nonResourceURLs = nonResourceURLs
        }

        init(json: JSONValue) {
            func strings(_ key: String) -> [String] { json[key]?.arrayValue?.compactMap(\.stringValue) ?? [] }
            self.init(
                verbs: strings("verbs"), apiGroups: strings("apiGroups"), resources: strings("resources"),
                resourceNames: strings("resourceNames"), nonResourceURLs: strings("nonResourceURLs"))
        }

        /// Whether the rule allows `attributes` (kube's `RuleAllows`).
        func allows(_ attributes: RequestAttributes) -> Bool {
            guard verbs.contains("*") || verbs.contains(attributes.verb) else { return false }
            if !attributes.isResourceRequest {
                return nonResourceURLs.contains { url in
                    url == "*" || url == attributes.path
                        || (url.hasSuffix("*") && attributes.path.hasPrefix(String(url.dropLast())))
                }
            }
            guard apiGroups.contains("*") || apiGroups.contains(attributes.apiGroup) else { return false }
            let combined = attributes.qualifiedResource
            let resourceMatches = resources.contains { resource in
                resource == "*" || resource == combined
                    || (!attributes.subresource.isEmpty && resource == "*/\(attributes.subresource)")
            }
            guard resourceMatches else { return false }
            return resourceNames.isEmpty || resourceNames.contains(attributes.name)
        }
    }

    /// One subject of a binding.
    struct Subject: Sendable, Equatable {
        var kind: String
        var name: String
        var namespace: String

        /// Whether the subject is `user` (kube's `appliesToUser`); a ServiceAccount without namespace in a
        /// RoleBinding means the binding's namespace.
        func applies(to user: UserInfo, bindingNamespace: String) -> Bool {
            switch kind {
            case "User": return user.name == name
            case "Group": return user.groups.contains(name)
            case "ServiceAccount":
                let namespace = self.namespace.isEmpty ? bindingNamespace : self.namespace
                return user.name == UserInfo.serviceAccountUsername(namespace: namespace, name: name)
            default: return false
            }
        }
    }

    /// A RoleBinding (with its namespace) or a ClusterRoleBinding (namespace empty).
    struct Binding: Sendable, Equatable {
        var namespace: String
        var roleKind: String
        var roleName: String
        var subjects: [Subject]

        init(namespace: String, roleKind: String, roleName: String, subjects: [Subject]) {
            self.namespace = namespace
            self.roleKind = roleKind
            self.roleName = roleName
            self.subjects = subjects
        }

        init(json: JSONValue) {
            namespace = json[path: ["metadata", "namespace"]]?.stringValue ?? ""
            roleKind = json[path: ["roleRef", "kind"]]?.stringValue ?? ""
            roleName = json[path: ["roleRef", "name"]]?.stringValue ?? ""
            subjects = (json["subjects"]?.arrayValue ?? []).map { subject in
                Subject(
                    kind: subject["kind"]?.stringValue ?? "", name: subject["name"]?.stringValue ?? "",
                    namespace: subject["namespace"]?.stringValue ?? "")
            }
        }
    }

    /// ClusterRole rules by name.
    var clusterRoles: [String: [Rule]] = [:]
    /// Role rules by `<namespace>/<name>`.
    var roles: [String: [Rule]] = [:]
    var clusterRoleBindings: [Binding] = []
    /// The RoleBindings of the namespaces this policy was built for.
    var roleBindings: [Binding] = []

    /// Whether some binding grants `user` a rule allowing `attributes`.
    func allows(_ user: UserInfo, _ attributes: RequestAttributes) -> Bool {
        for binding in clusterRoleBindings + Self.bootstrapBindings
        where binding.roleKind == "ClusterRole"
            && binding.subjects.contains(where: { $0.applies(to: user, bindingNamespace: "") })
        {
            if clusterRule(binding.roleName, allowing: attributes) { return true }
        }
        guard attributes.isResourceRequest, !attributes.namespace.isEmpty else { return false }
        for binding in roleBindings
        where binding.namespace == attributes.namespace
            && binding.subjects.contains(where: { $0.applies(to: user, bindingNamespace: binding.namespace) })
        {
            let rules: [Rule]
            switch binding.roleKind {
            case "Role": rules = roles["\(binding.namespace)/\(binding.roleName)"] ?? []
            case "ClusterRole": rules = clusterRoles[binding.roleName] ?? Self.bootstrapClusterRoles[binding.roleName] ?? []
            default: rules = []
            }
            if rules.contains(where: { $0.allows(attributes) }) { return true }
        }
        return false
    }

    private func clusterRule(_ name: String, allowing attributes: RequestAttributes) -> Bool {
        let rules = clusterRoles[name] ?? Self.bootstrapClusterRoles[name] ?? []
        return rules.contains { $0.allows(attributes) }
    }

    // MARK: Bootstrap policy

    /// The default ClusterRoles of a fresh kube-apiserver that matter here.
    static let bootstrapClusterRoles: [String: [Rule]] = [
        "cluster-admin": [
            Rule(verbs: ["*"], apiGroups: ["*"], resources: ["*"]), Rule(verbs: ["*"], nonResourceURLs: ["*"]),
        ],
        "system:discovery": [
            Rule(
                verbs: ["get"],
                nonResourceURLs: [
                    "/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz",
                    "/version", "/version/",
                ])
        ],
        "system:public-info-viewer": [
            Rule(verbs: ["get"], nonResourceURLs: ["/healthz", "/livez", "/readyz", "/version", "/version/"])
        ],
        "system:basic-user": [
            Rule(
                verbs: ["create"], apiGroups: ["authorization.k8s.io"],
                resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
            Rule(verbs: ["create"], apiGroups: ["authentication.k8s.io"], resources: ["selfsubjectreviews"]),
        ],
    ]

    /// The default ClusterRoleBindings of those roles.
    static let bootstrapBindings: [Binding] = [
        Binding(
            namespace: "", roleKind: "ClusterRole", roleName: "cluster-admin",
            subjects: [Subject(kind: "Group", name: "system:masters", namespace: "")]),
        Binding(
            namespace: "", roleKind: "ClusterRole", roleName: "system:discovery",
            subjects: [Subject(kind: "Group", name: "system:authenticated", namespace: "")]),
        Binding(
            namespace: "", roleKind: "ClusterRole", roleName: "system:basic-user",
            subjects: [Subject(kind: "Group", name: "system:authenticated", namespace: "")]),
        Binding(
            namespace: "", roleKind: "ClusterRole", roleName: "system:public-info-viewer",
            subjects: [
                Subject(kind: "Group", name: "system:authenticated", namespace: ""),
                Subject(kind: "Group", name: "system:unauthenticated", namespace: ""),
            ]),
    ]
}

extension RBACPolicy {
    /// The policy stored in `store` that can decide requests in `namespace` (empty: cluster-scoped requests only
    /// need ClusterRoleBindings).
    init(store: ObjectStore, namespace: String) {
        let group = "rbac.authorization.k8s.io"
        let snapshot = store.state.withLock { state in
            (
                clusterRoles: state.objects["\(group)/clusterroles"] ?? [:],
                clusterRoleBindings: Array((state.objects["\(group)/clusterrolebindings"] ?? [:]).values),
                roleBindings: namespace.isEmpty
                    ? []
                    : (state.objects["\(group)/rolebindings"] ?? [:]).filter { $0.key.hasPrefix(namespace + "/") }
                        .map(\.value),
                roles: namespace.isEmpty
                    ? [:] : (state.objects["\(group)/roles"] ?? [:]).filter { $0.key.hasPrefix(namespace + "/") }
            )
        }
        func rules(_ object: StoredObject) -> [Rule] {
            (object.value["rules"]?.arrayValue ?? []).map(Rule.init(json:))
        }
        for object in snapshot.clusterRoles.values {
            guard let name = object.value[path: ["metadata", "name"]]?.stringValue else { continue }
            clusterRoles[name] = rules(object)
        }
        for (key, object) in snapshot.roles { roles[key] = rules(object) }
        clusterRoleBindings = snapshot.clusterRoleBindings.map { Binding(json: $0.value) }
        roleBindings = snapshot.roleBindings.map { Binding(json: $0.value) }
    }
}
