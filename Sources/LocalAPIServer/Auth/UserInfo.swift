/// Who a request acts as: the authenticated user, or the identity it impersonates.
///
/// Authentication (`Auth/Authentication.swift`) turns a request's credentials into a `UserInfo`; authorization
/// (`Auth/Authorization.swift`) applies impersonation headers and decides whether that identity may do the request.
struct UserInfo: Sendable, Equatable {
    var name: String
    var groups: [String]

    /// The identity of every request when the server runs without authentication: a cluster administrator.
    static let localAdmin = UserInfo(name: "system:admin", groups: ["system:masters", "system:authenticated"])

    /// Members of `system:masters` may do anything, as on a real API server.
    var isClusterAdmin: Bool { groups.contains("system:masters") }
}

/// The request headers that authentication and authorization read.
struct RequestCredentials: Sendable, Equatable {
    /// The `Authorization` header, if any (for example `Bearer <token>`); never logged.
    var authorization: String?
    /// `Impersonate-User`, if any.
    var impersonateUser: String?
    /// Every `Impersonate-Group` header, in order.
    var impersonateGroups: [String] = []
}
