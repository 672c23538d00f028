import Foundation

/// Turns a request's credentials into a user when the server runs with authentication (`--tls`).
///
/// As kube-apiserver: a verified client certificate is the user in its common name, in its organizations' groups;
/// otherwise an `Authorization: Bearer <token>` header names a user of the token table; a request with neither
/// may only read the public health and version endpoints, as `system:anonymous`. Everything else gets 401
/// `Unauthorized`. Every authenticated user is also in `system:authenticated`.
struct Authenticator: Sendable {
    /// Bearer tokens and their users (`system:authenticated` already added).
    var tokens: [String: UserInfo]

    /// Paths kube-apiserver lets unauthenticated clients read (the `system:public-info-viewer` role).
    static let publicPaths: Set<String> = ["/healthz", "/readyz", "/livez", "/version"]

    init(_ authentication: LocalAPIServer.Authentication) {
        var tokens: [String: UserInfo] = [:]
        for (token, user) in authentication.tokens {
            tokens[token] = UserInfo(name: user.name, groups: Self.withAuthenticated(user.groups))
        }
        self.tokens = tokens
    }

    func authenticate(_ request: APIRequest) throws(APIError) -> UserInfo {
        if let identity = request.clientCertificate {
            return UserInfo(name: identity.user, groups: Self.withAuthenticated(identity.groups))
        }
        if let token = Self.bearerToken(request.credentials.authorization) {
            guard let user = tokens[token] else { throw .unauthorized }
            return user
        }
        if Self.publicPaths.contains(request.path) { return .anonymous }
        throw .unauthorized
    }

    /// The token of an `Authorization: Bearer <token>` header; nil for another scheme or an empty token.
    static func bearerToken(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    private static func withAuthenticated(_ groups: [String]) -> [String] {
        groups.contains("system:authenticated") ? groups : groups + ["system:authenticated"]
    }
}

extension UserInfo {
    /// A request without credentials on a public path, as kube-apiserver names it.
    static let anonymous = UserInfo(name: "system:anonymous", groups: ["system:unauthenticated"])
}

extension APIHandler {
    /// Who sent `request`. Without authentication configured every request is the local administrator.
    func authenticate(_ request: APIRequest) throws(APIError) -> UserInfo {
        guard let authenticator else { return .localAdmin }
        return try authenticator.authenticate(request)
    }
}
