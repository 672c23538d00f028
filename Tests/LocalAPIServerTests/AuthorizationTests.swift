import Foundation
import KubeCore
import Testing

@testable import LocalAPIServer

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite("Authorization: request attributes, RBAC rules and impersonation")
struct AuthorizationUnitTests {
    static func request(_ method: String, _ path: String, query: [String: String] = [:]) -> APIRequest {
        APIRequest(
            method: method, path: path, query: query, accept: "", contentType: "application/json", userAgent: "",
            body: [])
    }

    @Test("HTTP method and path map to verb, group, resource, subresource, namespace and name")
    func attributes() {
        let list = RequestAttributes(Self.request("GET", "/api/v1/namespaces/team-a/configmaps"))
        #expect(list.verb == "list" && list.resource == "configmaps" && list.namespace == "team-a" && list.name.isEmpty)
        #expect(list.isResourceRequest && list.apiGroup.isEmpty)
        let watch = RequestAttributes(Self.request("GET", "/api/v1/configmaps", query: ["watch": "true"]))
        #expect(watch.verb == "watch" && watch.namespace.isEmpty)
        let watchPath = RequestAttributes(Self.request("GET", "/apis/apps/v1/watch/namespaces/a/deployments/web"))
        #expect(watchPath.verb == "watch" && watchPath.name == "web" && watchPath.apiGroup == "apps")
        let status = RequestAttributes(Self.request("PATCH", "/apis/apps/v1/namespaces/a/deployments/web/status"))
        #expect(status.verb == "patch" && status.qualifiedResource == "deployments/status" && status.name == "web")
        let namespace = RequestAttributes(Self.request("GET", "/api/v1/namespaces/team-a"))
        #expect(namespace.resource == "namespaces" && namespace.name == "team-a" && namespace.namespace == "team-a")
        let finalize = RequestAttributes(Self.request("PUT", "/api/v1/namespaces/team-a/finalize"))
        #expect(finalize.verb == "update" && finalize.qualifiedResource == "namespaces/finalize")
        #expect(RequestAttributes(Self.request("POST", "/api/v1/namespaces/a/secrets")).verb == "create")
        #expect(RequestAttributes(Self.request("PUT", "/api/v1/namespaces/a/secrets/s")).verb == "update")
        #expect(RequestAttributes(Self.request("DELETE", "/api/v1/namespaces/a/secrets/s")).verb == "delete")
        #expect(RequestAttributes(Self.request("DELETE", "/api/v1/namespaces/a/secrets")).verb == "deletecollection")
        let named = RequestAttributes(
            Self.request("GET", "/api/v1/namespaces/a/secrets", query: ["fieldSelector": "metadata.name=s"]))
        #expect(named.verb == "list" && named.name == "s")
        for path in ["/version", "/api", "/api/v1", "/apis", "/apis/apps", "/apis/apps/v1", "/openapi/v3"] {
            let attributes = RequestAttributes(Self.request("GET", path))
            #expect(!attributes.isResourceRequest && attributes.verb == "get" && attributes.path == path, "\(path)")
        }
    }

    @Test("Rules match verbs, API groups, resources, subresources, resource names and non-resource URLs")
    func rules() {
        typealias Rule = RBACPolicy.Rule
        let get = RequestAttributes(verb: "get", apiGroup: "apps", resource: "deployments", namespace: "a", name: "web")
        #expect(Rule(verbs: ["get"], apiGroups: ["apps"], resources: ["deployments"]).allows(get))
        #expect(Rule(verbs: ["*"], apiGroups: ["*"], resources: ["*"]).allows(get))
        #expect(!Rule(verbs: ["list"], apiGroups: ["apps"], resources: ["deployments"]).allows(get))
        #expect(!Rule(verbs: ["get"], apiGroups: [""], resources: ["deployments"]).allows(get))
        #expect(Rule(verbs: ["get"], apiGroups: ["apps"], resources: ["deployments"], resourceNames: ["web"]).allows(get))
        #expect(!Rule(verbs: ["get"], apiGroups: ["apps"], resources: ["deployments"], resourceNames: ["db"]).allows(get))
        var status = get
        status.subresource = "status"
        #expect(!Rule(verbs: ["get"], apiGroups: ["apps"], resources: ["deployments"]).allows(status))
        #expect(Rule(verbs: ["get"], apiGroups: ["apps"], resources: ["deployments/status"]).allows(status))
        #expect(Rule(verbs: ["get"], apiGroups: ["apps"], resources: ["*/status"]).allows(status))
        #expect(!Rule(verbs: ["get"], apiGroups: ["apps"], resources: ["deployments/status"]).allows(get))
        let version = RequestAttributes(verb: "get", path: "/version")
        #expect(Rule(verbs: ["get"], nonResourceURLs: ["/version"]).allows(version))
        #expect(Rule(verbs: ["get"], nonResourceURLs: ["*"]).allows(version))
        #expect(Rule(verbs: ["get"], nonResourceURLs: ["/ver*"]).allows(RequestAttributes(verb: "get", path: "/version")))
        #expect(!Rule(verbs: ["get"], nonResourceURLs: ["/api"]).allows(version))
        #expect(!Rule(verbs: ["get"], apiGroups: ["*"], resources: ["*"]).allows(version))
    }

    static let deployer = UserInfo(
        name: "system:serviceaccount:team-a:deployer",
        groups: ["system:serviceaccounts", "system:serviceaccounts:team-a", "system:authenticated"])

    static func policy() -> RBACPolicy {
        var policy = RBACPolicy()
        policy.roles["team-a/configmaps"] = [
            .init(verbs: ["get", "list", "create", "patch"], apiGroups: [""], resources: ["configmaps"])
        ]
        policy.clusterRoles["reader"] = [.init(verbs: ["get", "list"], apiGroups: ["*"], resources: ["*"])]
        policy.roleBindings = [
            // A ServiceAccount subject without namespace means the binding's namespace.
            .init(
                namespace: "team-a", roleKind: "Role", roleName: "configmaps",
                subjects: [.init(kind: "ServiceAccount", name: "deployer", namespace: "")]),
            .init(
                namespace: "team-c", roleKind: "ClusterRole", roleName: "reader",
                subjects: [.init(kind: "Group", name: "system:serviceaccounts:team-a", namespace: "")]),
            .init(
                namespace: "team-d", roleKind: "ClusterRole", roleName: "cluster-admin",
                subjects: [.init(kind: "User", name: "alice", namespace: "")]),
        ]
        return policy
    }

    @Test("Role and ClusterRole bindings grant by ServiceAccount, group and user, only in their namespace")
    func bindings() {
        let policy = Self.policy()
        func can(_ user: UserInfo, _ verb: String, _ resource: String, _ namespace: String, group: String = "") -> Bool {
            policy.allows(user, RequestAttributes(verb: verb, apiGroup: group, resource: resource, namespace: namespace))
        }
        #expect(can(Self.deployer, "create", "configmaps", "team-a"))
        #expect(!can(Self.deployer, "delete", "configmaps", "team-a"))
        #expect(!can(Self.deployer, "create", "configmaps", "team-b"))
        #expect(!can(Self.deployer, "create", "secrets", "team-a"))
        #expect(can(Self.deployer, "list", "deployments", "team-c", group: "apps"))
        #expect(!can(Self.deployer, "delete", "deployments", "team-c", group: "apps"))
        let alice = UserInfo(name: "alice", groups: ["system:authenticated"])
        #expect(can(alice, "delete", "secrets", "team-d"), "a RoleBinding to the built-in cluster-admin")
        #expect(!can(alice, "delete", "secrets", "team-a"))
        #expect(!can(alice, "list", "namespaces", ""), "a RoleBinding grants nothing cluster-wide")
        // The bootstrap system:discovery binding: every authenticated user reads discovery and the version.
        #expect(policy.allows(alice, RequestAttributes(verb: "get", path: "/apis/apps/v1")))
        #expect(policy.allows(alice, RequestAttributes(verb: "get", path: "/version")))
        #expect(!policy.allows(UserInfo(name: "anon", groups: []), RequestAttributes(verb: "get", path: "/apis")))
        // A stored ClusterRole replaces the built-in one of the same name.
        var replaced = policy
        replaced.clusterRoles["cluster-admin"] = []
        #expect(!replaced.allows(alice, RequestAttributes(verb: "delete", apiGroup: "", resource: "secrets", namespace: "team-d")))
    }

    @Test("Impersonating a ServiceAccount adds its groups; a non-admin caller needs the impersonate verb")
    func impersonation() throws {
        let policy = Self.policy()
        let admin = try Impersonation.effectiveUser(
            RequestCredentials(impersonateUser: "system:serviceaccount:team-a:deployer"), caller: .localAdmin
        ) { _ in policy }
        #expect(admin == Self.deployer)
        let withGroups = try Impersonation.effectiveUser(
            RequestCredentials(impersonateUser: "bob", impersonateGroups: ["devs"]), caller: .localAdmin
        ) { _ in policy }
        #expect(withGroups == UserInfo(name: "bob", groups: ["devs", "system:authenticated"]))
        #expect(
            try Impersonation.effectiveUser(RequestCredentials(), caller: .localAdmin) { _ in policy } == .localAdmin)

        let carol = UserInfo(name: "carol", groups: ["system:authenticated"])
        let refused = #expect(throws: APIError.self) {
            _ = try Impersonation.effectiveUser(
                RequestCredentials(impersonateUser: "system:serviceaccount:team-a:deployer"), caller: carol
            ) { _ in policy }
        }
        #expect(refused?.code == 403)
        #expect(
            refused?.message
                == "serviceaccounts \"deployer\" is forbidden: User \"carol\" cannot impersonate resource "
                + "\"serviceaccounts\" in API group \"\" in the namespace \"team-a\"")
        var granted = policy
        granted.clusterRoles["impersonator"] = [
            .init(verbs: ["impersonate"], apiGroups: [""], resources: ["serviceaccounts"], resourceNames: ["deployer"])
        ]
        granted.clusterRoleBindings = [
            .init(
                namespace: "", roleKind: "ClusterRole", roleName: "impersonator",
                subjects: [.init(kind: "User", name: "carol", namespace: "")])
        ]
        let impersonated = try Impersonation.effectiveUser(
            RequestCredentials(impersonateUser: "system:serviceaccount:team-a:deployer"), caller: carol
        ) { _ in granted }
        #expect(impersonated == Self.deployer)
        #expect(throws: APIError.self) {
            _ = try Impersonation.effectiveUser(RequestCredentials(impersonateGroups: ["x"]), caller: .localAdmin) {
                _ in policy
            }
        }
    }
}

@Suite("Authorization over HTTP and with kubectl --as")
struct AuthorizationHTTPTests {
    static let deployer = "system:serviceaccount:team-a:deployer"

    /// Namespaces team-a and team-b, and a Role letting `deployer` get, list, create and patch ConfigMaps in team-a.
    static let setup = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: team-a}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: team-b}
        ---
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: deployer, namespace: team-a}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: configmaps, namespace: team-a}
        rules:
        - apiGroups: [""]
          resources: [configmaps]
          verbs: [get, list, watch, create, patch]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: deployer-configmaps, namespace: team-a}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: configmaps}
        subjects:
        - {kind: ServiceAccount, name: deployer, namespace: team-a}
        """

    /// Sends a request impersonating `user` (and `groups`).
    static func send(
        _ cluster: TestCluster, _ method: String, _ path: String, as user: String?, groups: [String] = [],
        json: JSONValue? = nil, contentType: String = "application/json"
    ) async throws -> (Int, JSONValue) {
        guard let url = URL(string: cluster.url.absoluteString + path) else { throw URLError(.badURL) }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue(contentType, forHTTPHeaderField: "Content-Type")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let user { request.setValue(user, forHTTPHeaderField: "Impersonate-User") }
        for group in groups { request.addValue(group, forHTTPHeaderField: "Impersonate-Group") }
        if let json { request.httpBody = Data(JSONSerializer.bytes(json)) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        return (status, (try? JSONParser.parse(Array(data))) ?? .string(String(decoding: data, as: UTF8.self)))
    }

    static func configMap(_ name: String, _ namespace: String) -> JSONValue {
        [
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "data": ["k": "v"],
        ]
    }

    @Test("An impersonated ServiceAccount gets what its Role allows and 403 Forbidden Status bodies elsewhere")
    func http() async throws {
        try await TestCluster.with { cluster in
            let setup = try await cluster.kubectl(["apply", "-f", "-"], stdin: Self.setup)
            #expect(setup.status == 0, "\(setup.stderr)")
            let teamA = "/api/v1/namespaces/team-a/configmaps"
            let (created, _) = try await Self.send(
                cluster, "POST", teamA, as: Self.deployer, json: Self.configMap("allowed", "team-a"))
            #expect(created == 201)
            let (listed, list) = try await Self.send(cluster, "GET", teamA, as: Self.deployer)
            #expect(listed == 200 && list["items"]?.arrayValue?.count == 1)

            let (denied, status) = try await Self.send(
                cluster, "POST", "/api/v1/namespaces/team-b/configmaps", as: Self.deployer,
                json: Self.configMap("x", "team-b"))
            #expect(denied == 403)
            #expect(status["kind"] == "Status" && status["reason"] == "Forbidden" && status["code"] == 403)
            #expect(
                status["message"]
                    == .string(
                        "configmaps is forbidden: User \"\(Self.deployer)\" cannot create resource \"configmaps\" "
                            + "in API group \"\" in the namespace \"team-b\""))
            #expect(status["details"] == ["group": "", "kind": "configmaps"])
            let (deleteCode, deleteStatus) = try await Self.send(
                cluster, "DELETE", teamA + "/allowed", as: Self.deployer)
            #expect(deleteCode == 403)
            #expect(
                deleteStatus["message"]
                    == .string(
                        "configmaps \"allowed\" is forbidden: User \"\(Self.deployer)\" cannot delete resource "
                            + "\"configmaps\" in API group \"\" in the namespace \"team-a\""))
            let (secrets, _) = try await Self.send(cluster, "GET", "/api/v1/namespaces/team-a/secrets", as: Self.deployer)
            #expect(secrets == 403)
            let (cluster403, clusterStatus) = try await Self.send(cluster, "GET", "/api/v1/namespaces", as: Self.deployer)
            #expect(cluster403 == 403)
            #expect(clusterStatus["message"]?.stringValue?.hasSuffix("at the cluster scope") == true)

            // Discovery, version and OpenAPI are readable by every authenticated identity.
            for path in ["/version", "/api", "/api/v1", "/apis", "/apis/apps/v1", "/openapi/v3"] {
                let (code, _) = try await Self.send(cluster, "GET", path, as: Self.deployer)
                #expect(code == 200, "\(path)")
            }
            // Without the ServiceAccount groups (explicit groups given), discovery is still allowed
            // (system:authenticated) but the Role binding by ServiceAccount name still applies.
            let (explicit, _) = try await Self.send(cluster, "GET", teamA, as: Self.deployer, groups: ["other"])
            #expect(explicit == 200)
            let (nobody, _) = try await Self.send(cluster, "GET", teamA, as: "nobody")
            #expect(nobody == 403)
            let (groupsOnly, _) = try await Self.send(
                cluster, "GET", teamA, as: nil, groups: ["system:masters"])
            #expect(groupsOnly == 400)
            // Impersonating system:masters through a group grants everything, as on a real server.
            let (masters, _) = try await Self.send(
                cluster, "GET", "/api/v1/namespaces", as: "someone", groups: ["system:masters"])
            #expect(masters == 200)
        }
    }

    @Test("Server-side apply of a new object needs create as well as patch")
    func applyNeedsCreate() async throws {
        try await TestCluster.with { cluster in
            let setup = try await cluster.kubectl(["apply", "-f", "-"], stdin: Self.setup)
            #expect(setup.status == 0, "\(setup.stderr)")
            let patchOnly = """
                apiVersion: rbac.authorization.k8s.io/v1
                kind: Role
                metadata: {name: patch-only, namespace: team-b}
                rules:
                - {apiGroups: [""], resources: [configmaps], verbs: [get, patch]}
                ---
                apiVersion: rbac.authorization.k8s.io/v1
                kind: RoleBinding
                metadata: {name: deployer-patch, namespace: team-b}
                roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: patch-only}
                subjects:
                - {kind: ServiceAccount, name: deployer, namespace: team-a}
                """
            let applied = try await cluster.kubectl(["apply", "-f", "-"], stdin: patchOnly)
            #expect(applied.status == 0, "\(applied.stderr)")
            let path = "/api/v1/namespaces/team-b/configmaps/x?fieldManager=test"
            let (missing, status) = try await Self.send(
                cluster, "PATCH", path, as: Self.deployer, json: Self.configMap("x", "team-b"),
                contentType: "application/apply-patch+yaml")
            #expect(missing == 403)
            #expect(
                status["message"]
                    == .string(
                        "configmaps \"x\" is forbidden: User \"\(Self.deployer)\" cannot create resource "
                            + "\"configmaps\" in API group \"\" in the namespace \"team-b\""))
            let (byAdmin, _) = try await Self.send(
                cluster, "PATCH", path, as: nil, json: Self.configMap("x", "team-b"),
                contentType: "application/apply-patch+yaml")
            #expect(byAdmin == 201)
            var changed = Self.configMap("x", "team-b")
            changed["data"] = ["k": "changed"]
            let (existing, object) = try await Self.send(
                cluster, "PATCH", path + "&force=true", as: Self.deployer, json: changed,
                contentType: "application/apply-patch+yaml")
            #expect(existing == 200)
            #expect(object[path: ["data", "k"]] == "changed")
        }
    }

    @Test("kubectl --as and --as-group act as the ServiceAccount and print the Forbidden message")
    func kubectlAs() async throws {
        try await TestCluster.with { cluster in
            let setup = try await cluster.kubectl(["apply", "-f", "-"], stdin: Self.setup)
            #expect(setup.status == 0, "\(setup.stderr)")
            let asDeployer = ["--as=\(Self.deployer)"]
            let created = try await cluster.kubectl(asDeployer + ["create", "configmap", "ok", "-n", "team-a"])
            #expect(created.status == 0, "\(created.stderr)")
            let applied = try await cluster.kubectl(
                asDeployer + ["apply", "--server-side", "-f", "-"],
                stdin: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: applied, namespace: team-a}\ndata: {k: v}\n")
            #expect(applied.status == 0, "\(applied.stderr)")
            let listed = try await cluster.kubectl(asDeployer + ["get", "configmaps", "-n", "team-a", "-o", "name"])
            #expect(listed.status == 0, "\(listed.stderr)")
            #expect(listed.stdout.contains("configmap/ok") && listed.stdout.contains("configmap/applied"))

            let denied = try await cluster.kubectl(asDeployer + ["create", "configmap", "x", "-n", "team-b"])
            #expect(denied.status != 0)
            #expect(
                denied.stderr.contains(
                    "configmaps is forbidden: User \"\(Self.deployer)\" cannot create "
                        + "resource \"configmaps\" in API group \"\" in the namespace \"team-b\""), "\(denied.stderr)")
            let deleted = try await cluster.kubectl(asDeployer + ["delete", "configmap", "ok", "-n", "team-a"])
            #expect(deleted.status != 0 && deleted.stderr.contains("cannot delete resource"), "\(deleted.stderr)")
            let stillThere = try await cluster.kubectl(["get", "configmap", "ok", "-n", "team-a"])
            #expect(stillThere.status == 0)

            let viaGroup = try await cluster.kubectl(
                ["--as=someone", "--as-group=system:masters", "get", "namespaces", "-o", "name"])
            #expect(viaGroup.status == 0 && viaGroup.stdout.contains("namespace/team-b"), "\(viaGroup.stderr)")
            let plainUser = try await cluster.kubectl(["--as=someone", "get", "namespaces"])
            #expect(plainUser.status != 0)
            #expect(
                plainUser.stderr.contains(
                    "namespaces is forbidden: User \"someone\" cannot list resource \"namespaces\" in API group \"\" "
                        + "at the cluster scope"), "\(plainUser.stderr)")
        }
    }
}

@Suite("SelfSubjectAccessReview and kubectl auth can-i")
struct AccessReviewTests {
    @Test("kubectl auth can-i --as answers from the ServiceAccount's Role")
    func canI() async throws {
        try await TestCluster.with { cluster in
            let setup = try await cluster.kubectl(["apply", "-f", "-"], stdin: AuthorizationHTTPTests.setup)
            #expect(setup.status == 0, "\(setup.stderr)")
            let asDeployer = ["--as=\(AuthorizationHTTPTests.deployer)"]
            let yes = try await cluster.kubectl(asDeployer + ["auth", "can-i", "create", "configmaps", "-n", "team-a"])
            #expect(yes.status == 0 && yes.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "yes", "\(yes)")
            let no = try await cluster.kubectl(asDeployer + ["auth", "can-i", "create", "configmaps", "-n", "team-b"])
            #expect(no.status != 0 && no.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "no", "\(no)")
            let delete = try await cluster.kubectl(asDeployer + ["auth", "can-i", "delete", "configmaps", "-n", "team-a"])
            #expect(delete.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "no", "\(delete)")
            let admin = try await cluster.kubectl(["auth", "can-i", "delete", "namespaces"])
            #expect(admin.status == 0 && admin.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "yes", "\(admin)")

            let (code, review) = try await AuthorizationHTTPTests.send(
                cluster, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                as: AuthorizationHTTPTests.deployer,
                json: [
                    "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                    "spec": ["nonResourceAttributes": ["path": "/version", "verb": "get"]],
                ])
            #expect(code == 201 && review[path: ["status", "allowed"]] == true)
        }
    }
}
