/// What a request asks to do, in the terms authorization rules use (kube-apiserver's `RequestInfo` and
/// `authorizer.Attributes`): a verb on a resource (with API group, namespace, name and subresource), or a verb on a
/// non-resource path such as `/version`, `/api` or `/openapi/v3`.
struct RequestAttributes: Sendable, Equatable {
    /// `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`; for non-resource paths the
    /// lowercased HTTP method (`get`, `post`, …).
    var verb: String
    /// Whether the request is about a resource (`/api/v1/...`, `/apis/<group>/<version>/...`) rather than a path.
    var isResourceRequest: Bool
    /// The request path as sent, for non-resource requests.
    var path: String
    var apiGroup = ""
    var apiVersion = ""
    /// The plural resource name (`configmaps`).
    var resource = ""
    var subresource = ""
    /// The namespace; for `/api/v1/namespaces/<name>` the namespace itself, as kube-apiserver reports it.
    var namespace = ""
    var name = ""

    /// `resource` or `resource/subresource`, the form RBAC rules name.
    var qualifiedResource: String { subresource.isEmpty ? resource : "\(resource)/\(subresource)" }

    /// The attributes of `request`, following kube-apiserver's request-info rules.
    init(_ request: APIRequest) {
        path = request.path
        isResourceRequest = false
        verb = request.method.lowercased()
        let parts = request.path.split(separator: "/").map(String.init)
        var rest: [String]
        switch parts.first {
        case "api" where parts.count >= 3:
            apiVersion = parts[1]
            rest = Array(parts.dropFirst(2))
        case "apis" where parts.count >= 4:
            apiGroup = parts[1]
            apiVersion = parts[2]
            rest = Array(parts.dropFirst(3))
        default:
            return
        }
        isResourceRequest = true
        var watchPath = false
        if rest.first == "watch" {
            watchPath = true
            rest.removeFirst()
        }
        if rest.first == "namespaces" {
            if rest.count > 1 {
                namespace = rest[1]
                // `/namespaces/<ns>/<resource>...` addresses a resource inside the namespace; `/namespaces/<ns>`,
                // `/namespaces/<ns>/status` and `/namespaces/<ns>/finalize` address the Namespace itself.
                if rest.count > 2, !["status", "finalize"].contains(rest[2]) { rest.removeFirst(2) }
            }
        }
        resource = rest.first ?? ""
        if rest.count > 1 { name = rest[1] }
        if rest.count > 2 { subresource = rest[2] }
        switch request.method {
        case "GET", "HEAD":
            if watchPath || request.flag("watch") {
                verb = "watch"
            } else {
                verb = name.isEmpty ? "list" : "get"
            }
            // A list or watch restricted to one name is authorized for that name, as kube-apiserver does.
            if name.isEmpty, verb == "list" || verb == "watch",
                let selector = request.query["fieldSelector"], selector.hasPrefix("metadata.name="),
                !selector.contains(",")
            {
                name = String(selector.dropFirst("metadata.name=".count))
            }
        case "POST": verb = "create"
        case "PUT": verb = "update"
        case "PATCH": verb = "patch"
        case "DELETE": verb = name.isEmpty ? "deletecollection" : "delete"
        default: verb = request.method.lowercased()
        }
    }

    /// Attributes of a resource request, as a SubjectAccessReview or impersonation check states them.
    init(
        verb: String, apiGroup: String, resource: String, subresource: String = "", namespace: String = "",
        name: String = ""
    ) {
        self.verb = verb
        self.isResourceRequest = true
        self.path = ""
        self.apiGroup = apiGroup
        self.resource = resource
        self.subresource = subresource
        self.namespace = namespace
        self.name = name
    }

    /// Attributes of a non-resource request.
    init(verb: String, path: String) {
        self.verb = verb
        self.isResourceRequest = false
        self.path = path
    }
}
