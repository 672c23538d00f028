extension UserInfo {
    /// `system:serviceaccount:<namespace>:<name>`, the username of a ServiceAccount.
    static func serviceAccountUsername(namespace: String, name: String) -> String {
        "system:serviceaccount:\(namespace):\(name)"
    }

    /// The namespace and name of a ServiceAccount username, or nil for other users.
    var serviceAccount: (namespace: String, name: String)? {
        let parts = name.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "system", parts[1] == "serviceaccount", !parts[2].isEmpty,
            !parts[3].isEmpty
        else { return nil }
        return (String(parts[2]), String(parts[3]))
    }
}

/// Applies `Impersonate-User` / `Impersonate-Group` headers the way kube-apiserver's impersonation filter does.
///
/// The caller needs the `impersonate` verb on `users` (by name), `serviceaccounts` (in the ServiceAccount's
/// namespace, by name) and `groups` (by name); members of `system:masters`, such as the local administrator, have
/// it. The impersonated identity gets `system:authenticated`, and a ServiceAccount impersonated without explicit
/// groups gets `system:serviceaccounts` and `system:serviceaccounts:<namespace>`.
enum Impersonation {
    /// The identity `credentials` ask to act as, checked against `policy` for `user`; `user` itself without headers.
    static func effectiveUser(
        _ credentials: RequestCredentials, caller user: UserInfo, policy: (String) -> RBACPolicy
    ) throws(APIError) -> UserInfo {
        guard let target = credentials.impersonateUser, !target.isEmpty else {
            if !credentials.impersonateGroups.isEmpty {
                throw .badRequest(
                    "impersonating groups \(credentials.impersonateGroups) requires impersonating a user "
                        + "(Impersonate-User header)")
            }
            return user
        }
        var impersonated = UserInfo(name: target, groups: credentials.impersonateGroups)
        var checks: [RequestAttributes] = []
        if let account = impersonated.serviceAccount {
            checks.append(
                RequestAttributes(
                    verb: "impersonate", apiGroup: "", resource: "serviceaccounts", namespace: account.namespace,
                    name: account.name))
            if credentials.impersonateGroups.isEmpty {
                impersonated.groups = ["system:serviceaccounts", "system:serviceaccounts:\(account.namespace)"]
            }
        } else {
            checks.append(RequestAttributes(verb: "impersonate", apiGroup: "", resource: "users", name: target))
        }
        for group in credentials.impersonateGroups {
            checks.append(RequestAttributes(verb: "impersonate", apiGroup: "", resource: "groups", name: group))
        }
        if !user.isClusterAdmin {
            for check in checks where !policy(check.namespace).allows(user, check) {
                throw Authorization.forbidden(user, check)
            }
        }
        if target != "system:anonymous", !impersonated.groups.contains("system:authenticated") {
            impersonated.groups.append("system:authenticated")
        }
        return impersonated
    }
}
