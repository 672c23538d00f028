import NIOHTTP1

/// An identity to act as: the `Impersonate-User` and `Impersonate-Group` headers of every request (client-go's
/// `rest.ImpersonationConfig`, kubectl's `--as` and `--as-group`).
///
/// The API server checks that the client's own identity may `impersonate` the user (or ServiceAccount) and groups,
/// then authorizes the request as the impersonated identity. A ServiceAccount impersonated without groups gets its
/// usual groups (`system:serviceaccounts`, `system:serviceaccounts:<namespace>`) from the server.
public struct ImpersonationConfig: Sendable, Hashable, CustomStringConvertible {
    /// The username, e.g. `jane` or `system:serviceaccount:team-a:deployer`.
    public var user: String
    /// Groups to act as; empty means the server's defaults for the user.
    public var groups: [String]

    /// - Parameters:
    ///   - user: the username to impersonate.
    ///   - groups: the groups to impersonate. Default none.
    public init(user: String, groups: [String] = []) {
        self.user = user
        self.groups = groups
    }

    /// The ServiceAccount `name` of `namespace`: user `system:serviceaccount:<namespace>:<name>`, no groups (as
    /// Flux's kustomize-controller impersonates a Kustomization's `spec.serviceAccountName`).
    public static func serviceAccount(namespace: String, name: String) -> ImpersonationConfig {
        ImpersonationConfig(user: "system:serviceaccount:\(namespace):\(name)")
    }

    public var description: String {
        groups.isEmpty ? user : "\(user) (groups \(groups.joined(separator: ", ")))"
    }

    func addHeaders(to headers: inout HTTPHeaders) {
        headers.add(name: "Impersonate-User", value: user)
        for group in groups { headers.add(name: "Impersonate-Group", value: group) }
    }
}

extension KubeClient {
    /// A client that sends every request as `impersonation`, sharing this client's connections, rate limiter,
    /// credentials and discovery cache; creating one is cheap (no new connection pool).
    ///
    /// The view needs no ``shutdown()`` of its own (calling it does nothing); it stops working once this client
    /// is shut down. Impersonating from a view replaces the identity rather than stacking it.
    public func impersonating(_ impersonation: ImpersonationConfig) -> KubeClient {
        KubeClient(viewOf: self, impersonation: impersonation)
    }

    /// A view of this client without impersonation (the connections' owner's own identity).
    public var withoutImpersonation: KubeClient {
        impersonation == nil ? self : KubeClient(viewOf: self, impersonation: nil)
    }
}
