import KubeCore

extension APIHandler {
    /// Answers `POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews` (what `kubectl auth can-i` sends) for
    /// `user`, the identity after impersonation; nil for every other request.
    ///
    /// Accepts JSON bodies and the protobuf bodies kubectl's typed client sends; answers JSON with
    /// `status.allowed`. Not stored, as on a real server.
    func accessReview(_ request: APIRequest, as user: UserInfo) throws(APIError) -> APIResponse? {
        guard request.method == "POST", request.path == "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
        else { return nil }
        let spec: JSONValue
        if request.contentType.contains("protobuf") {
            spec = try AccessReviewProtobuf.spec(request.body)
        } else {
            let body: JSONValue
            do { body = try JSONParser.parse(request.body) } catch {
                throw .badRequest("the SelfSubjectAccessReview body is not valid JSON: \(error)")
            }
            spec = body["spec"] ?? [:]
        }
        let attributes: RequestAttributes
        if let resource = spec["resourceAttributes"] {
            func field(_ key: String) -> String { resource[key]?.stringValue ?? "" }
            attributes = RequestAttributes(
                verb: field("verb"), apiGroup: field("group"), resource: field("resource"),
                subresource: field("subresource"), namespace: field("namespace"), name: field("name"))
        } else if let nonResource = spec["nonResourceAttributes"] {
            attributes = RequestAttributes(
                verb: nonResource["verb"]?.stringValue ?? "", path: nonResource["path"]?.stringValue ?? "")
        } else {
            throw APIError(
                code: 422, reason: "Invalid",
                message: "SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.resourceAttributes: "
                    + "Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be "
                    + "specified")
        }
        let allowed =
            user.isClusterAdmin || RBACPolicy(store: store, namespace: attributes.namespace).allows(user, attributes)
        // kube's RBAC authorizer gives no reason for a denial, so kubectl prints a bare "no".
        var status = JSONObject()
        status["allowed"] = .bool(allowed)
        return .object(
            [
                "kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
                "metadata": ["creationTimestamp": nil], "spec": spec, "status": .object(status),
            ], status: 201)
    }
}

/// Reads the `spec` of a protobuf-encoded `SelfSubjectAccessReview` (inside the `k8s\0` envelope).
enum AccessReviewProtobuf {
    /// The length-delimited fields of a message by number (varints and fixed-width fields are skipped).
    static func fields(_ bytes: ArraySlice<UInt8>) -> [(Int, ArraySlice<UInt8>)]? {
        var reader = Protobuf.Reader(bytes: bytes)
        var result: [(Int, ArraySlice<UInt8>)] = []
        while !reader.bytes.isEmpty {
            guard let field = reader.field() else { return nil }
            if let data = field.data { result.append((field.number, data)) }
        }
        return result
    }

    static func spec(_ body: [UInt8]) throws(APIError) -> JSONValue {
        let invalid = APIError.badRequest("the protobuf SelfSubjectAccessReview body could not be decoded")
        guard body.starts(with: [0x6B, 0x38, 0x73, 0x00]), let envelope = fields(body.dropFirst(4)),
            let raw = envelope.first(where: { $0.0 == 2 })?.1, let review = fields(raw)
        else { throw invalid }
        var spec = JSONObject()
        guard let specBytes = review.first(where: { $0.0 == 2 })?.1, let specFields = fields(specBytes) else {
            return .object(spec)
        }
        func strings(_ bytes: ArraySlice<UInt8>, _ names: [Int: String]) throws(APIError) -> JSONValue {
            guard let parsed = fields(bytes) else { throw invalid }
            var object = JSONObject()
            for (number, value) in parsed {
                if let name = names[number] { object[name] = .string(String(decoding: value, as: UTF8.self)) }
            }
            return .object(object)
        }
        for (number, value) in specFields {
            switch number {
            case 1:
                spec["resourceAttributes"] = try strings(
                    value,
                    [1: "namespace", 2: "verb", 3: "group", 4: "version", 5: "resource", 6: "subresource", 7: "name"])
            case 2: spec["nonResourceAttributes"] = try strings(value, [1: "path", 2: "verb"])
            default: break
            }
        }
        return .object(spec)
    }
}
