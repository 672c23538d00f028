extension APIHandler {
    /// The identity `request` acts as once impersonation headers are applied, if `user` may do the request.
    /// Impersonation and RBAC are not enforced yet: every authenticated user may do everything.
    func authorize(_ request: APIRequest, as user: UserInfo) throws(APIError) -> UserInfo {
        user
    }
}
