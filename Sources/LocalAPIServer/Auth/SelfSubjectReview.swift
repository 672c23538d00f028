import KubeCore

extension APIHandler {
    /// `POST /apis/authentication.k8s.io/{v1,v1beta1}/selfsubjectreviews` (what `kubectl auth whoami` sends):
    /// answers with the identity the request acts as. Nil for any other request.
    func selfSubjectReview(_ request: APIRequest, as user: UserInfo) -> APIResponse? {
        guard request.method == "POST" else { return nil }
        let version: String
        switch request.path {
        case "/apis/authentication.k8s.io/v1/selfsubjectreviews": version = "v1"
        case "/apis/authentication.k8s.io/v1beta1/selfsubjectreviews": version = "v1beta1"
        default: return nil
        }
        let review: JSONValue = [
            "kind": "SelfSubjectReview", "apiVersion": .string("authentication.k8s.io/\(version)"),
            "metadata": ["creationTimestamp": .null],
            "status": [
                "userInfo": ["username": .string(user.name), "groups": .array(user.groups.map { .string($0) })]
            ],
        ]
        return .object(review, status: 201)
    }
}
