import Foundation
import KubeCore

extension APIHandler {
    // MARK: Reads

    func filter(_ request: APIRequest) throws(APIError) -> ObjectFilter {
        var filter = ObjectFilter()
        if let text = request.query["labelSelector"], !text.isEmpty { filter.labels = try LabelSelector(parsing: text) }
        if let text = request.query["fieldSelector"], !text.isEmpty { filter.fields = try FieldSelector(parsing: text) }
        return filter
    }

    func list(_ request: APIRequest, _ target: Target) throws(APIError) -> APIResponse {
        let limit = request.query["limit"].flatMap(Int.init)
        var continueAfter: String?
        if let token = request.query["continue"], !token.isEmpty {
            guard let data = Data(base64Encoded: token), let key = String(data: data, encoding: .utf8) else {
                throw .badRequest("invalid continue token")
            }
            continueAfter = key
        }
        let page = store.list(
            target.type, namespace: target.namespace, filter: try filter(request), limit: limit,
            continueAfter: continueAfter)
        let token = page.continueToken.map { Data($0.utf8).base64EncodedString() }
        if request.wantsTable {
            return .object(
                Table.table(
                    page.items.map(\.value), type: target.type, resourceVersion: String(page.resourceVersion),
                    continueToken: token))
        }
        var metadata = JSONObject()
        metadata["resourceVersion"] = .string(String(page.resourceVersion))
        if let token { metadata["continue"] = .string(token) }
        if let remaining = page.remaining { metadata["remainingItemCount"] = .integer(Int64(remaining)) }
        var out: [UInt8] = []
        out.reserveCapacity(page.items.reduce(128) { $0 + $1.bytes.count + 1 })
        out.append(
            contentsOf: Array(
                "{\"kind\":\"\(target.type.listKind)\",\"apiVersion\":\"\(target.type.apiVersion)\",\"metadata\":".utf8)
        )
        out.append(contentsOf: JSONSerializer.bytes(.object(metadata)))
        out.append(contentsOf: Array(",\"items\":[".utf8))
        for (index, item) in page.items.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: item.bytes)
        }
        out.append(contentsOf: Array("]}".utf8))
        return .json(status: 200, body: out)
    }

    func watch(_ request: APIRequest, _ target: Target) throws(APIError) -> APIResponse {
        let filter = try filter(request)
        let rvText = request.query["resourceVersion"] ?? ""
        var resourceVersion: Int64?
        if !rvText.isEmpty {
            guard let parsed = Int64(rvText) else { throw .badRequest("invalid resourceVersion \"\(rvText)\"") }
            resourceVersion = parsed
        }
        let sendInitialEvents = request.flag("sendInitialEvents")
        if sendInitialEvents { resourceVersion = nil }
        let timeout = request.query["timeoutSeconds"].flatMap(Int.init).map { Duration.seconds($0) }
        do {
            let (id, stream) = try store.watch(
                target.type, namespace: target.namespace, filter: filter, resourceVersion: resourceVersion)
            return .watch(
                WatchStream(
                    id: id, stream: stream, type: target.type, asTable: request.wantsTable, timeout: timeout,
                    bookmarks: request.flag("allowWatchBookmarks"), sendInitialEvents: sendInitialEvents))
        } catch {
            let (stream, continuation) = AsyncStream<WatchMessage>.makeStream()
            continuation.finish()
            return .watch(
                WatchStream(
                    id: -1, stream: stream, type: target.type, asTable: false, timeout: nil, bookmarks: false,
                    initialError: error))
        }
    }

    // MARK: Writes

    func decodeBody(_ request: APIRequest) throws(APIError) -> JSONValue {
        guard !request.body.isEmpty else { throw .badRequest("the request body is empty") }
        if request.contentType.contains("protobuf") { return try Protobuf.decode(request.body) }
        if request.contentType.contains("cbor") {
            throw APIError(
                code: 415, reason: "UnsupportedMediaType",
                message: "the body of the request was in an unknown format - accepted media types include: "
                    + "application/json, application/yaml")
        }
        let value: JSONValue
        if request.contentType.contains("yaml") {
            value = try YAMLDecoding.decode(request.body)
        } else {
            do {
                value = try JSONParser.parse(request.body)
            } catch {
                throw .badRequest("error decoding request body: \(error.description)")
            }
        }
        return value
    }

    /// Checks `apiVersion` and `kind` of a body against the path's type, filling them in when absent.
    func checkTypeMeta(_ body: JSONValue, _ type: ResourceType) throws(APIError) -> JSONValue {
        guard body.objectValue != nil else { throw .badRequest("the request body must be a JSON object") }
        var object = body
        if let apiVersion = body["apiVersion"]?.stringValue, apiVersion != type.apiVersion {
            throw .badRequest(
                "the API version in the data (\(apiVersion)) does not match the expected API version (\(type.apiVersion))"
            )
        }
        if let kind = body["kind"]?.stringValue, kind != type.kind {
            throw .badRequest("the kind in the data (\(kind)) does not match the expected kind (\(type.kind))")
        }
        object["apiVersion"] = .string(type.apiVersion)
        object["kind"] = .string(type.kind)
        return .object(ObjectMeta.canonical(object.objectValue ?? JSONObject()))
    }

    func manager(_ request: APIRequest) -> String {
        if let manager = request.query["fieldManager"], !manager.isEmpty { return manager }
        let agent = request.userAgent.split(separator: "/").first.map(String.init) ?? ""
        return agent.isEmpty ? "unknown" : agent
    }

    func create(_ request: APIRequest, _ target: Target) throws(APIError) -> APIResponse {
        var body = try checkTypeMeta(try decodeBody(request), target.type)
        if let namespace = target.namespace, let own = body[path: ["metadata", "namespace"]]?.stringValue, !own.isEmpty,
            own != namespace
        {
            throw .badRequest("the namespace of the provided object does not match the namespace sent on the request")
        }
        body.set(path: ["metadata", "managedFields"], to: nil)
        body = ServerSideApply.recordUpdate(
            old: .object(JSONObject()), new: body, manager: manager(request), subresource: nil)
        let created = try store.create(target.type, namespace: target.namespace, body: body, dryRun: request.dryRun)
        return .json(status: 201, body: created.bytes)
    }

    func replace(_ request: APIRequest, _ target: Target, name: String) throws(APIError) -> APIResponse {
        let body = try checkTypeMeta(try decodeBody(request), target.type)
        let manager = manager(request)
        let (object, _) = try store.update(
            target.type, namespace: target.namespace, name: name, statusOnly: target.subresource == "status",
            dryRun: request.dryRun, allowCreate: false
        ) { current throws(APIError) -> JSONValue in
            guard let current else { return body }
            return ServerSideApply.recordUpdate(
                old: current, new: body, manager: manager, subresource: target.subresource)
        }
        return .json(status: 200, body: object.bytes)
    }

    func patch(_ request: APIRequest, _ target: Target, name: String) throws(APIError) -> APIResponse {
        let patch = try decodeBody(request)
        let contentType =
            request.contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        let type = target.type
        let manager = manager(request)
        let isApply = contentType == "application/apply-patch+yaml"
        if isApply {
            guard request.query["fieldManager"].map({ !$0.isEmpty }) ?? false else {
                throw .badRequest("PATCH /apply requires fieldManager to be set")
            }
            _ = try checkTypeMeta(patch, type)
        }
        switch contentType {
        case "application/merge-patch+json", "application/json-patch+json", "application/apply-patch+yaml": break
        case "application/strategic-merge-patch+json":
            if type.isCustom {
                throw APIError(
                    code: 415, reason: "UnsupportedMediaType",
                    message: "the body of the request was in an unknown format - accepted media types include: "
                        + "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
            }
        default:
            throw APIError(
                code: 415, reason: "UnsupportedMediaType", message: "unsupported patch type \"\(contentType)\"")
        }
        let force = request.flag("force")
        let (object, created) = try store.update(
            type, namespace: target.namespace, name: name, statusOnly: target.subresource == "status",
            dryRun: request.dryRun, allowCreate: isApply
        ) { current throws(APIError) -> JSONValue in
            if isApply {
                return try ServerSideApply.apply(
                    current: current, applied: patch, manager: manager, force: force, type: type, name: name,
                    subresource: target.subresource)
            }
            guard let current else { throw .notFound(type, name) }
            let patched: JSONValue
            switch contentType {
            case "application/json-patch+json": patched = try Self.jsonPatch(current, patch)
            case "application/strategic-merge-patch+json":
                patched = StrategicMerge.merge(current, patch, options: .apiServer) ?? .null
            default: patched = MergePatch.apply(patch, to: current)
            }
            guard patched.objectValue != nil else { throw .badRequest("the patch must produce a JSON object") }
            return ServerSideApply.recordUpdate(
                old: current, new: patched, manager: manager, subresource: target.subresource)
        }
        return .json(status: created ? 201 : 200, body: object.bytes)
    }

    func delete(_ request: APIRequest, _ target: Target, name: String) throws(APIError) -> APIResponse {
        var precondition: String?
        var dryRun = request.dryRun
        if !request.body.isEmpty, let options = try? JSONParser.parse(request.body) {
            precondition = options[path: ["preconditions", "resourceVersion"]]?.stringValue
            if options["dryRun"]?.arrayValue?.contains("All") == true { dryRun = true }
        }
        let object = try store.delete(
            target.type, namespace: target.namespace, name: name, dryRun: dryRun,
            preconditionResourceVersion: precondition)
        return .json(status: 200, body: object.bytes)
    }

    func deleteCollection(_ request: APIRequest, _ target: Target) throws(APIError) -> APIResponse {
        let page = store.list(
            target.type, namespace: target.namespace, filter: try filter(request), limit: nil, continueAfter: nil)
        var deleted: [JSONValue] = []
        for item in page.items {
            let name = ObjectMeta.name(item.value)
            let namespace = target.type.namespaced ? ObjectMeta.namespace(item.value) : nil
            if let object = try? store.delete(
                target.type, namespace: namespace, name: name, dryRun: request.dryRun, preconditionResourceVersion: nil)
            {
                deleted.append(object.value)
            }
        }
        return .object([
            "kind": .string(target.type.listKind), "apiVersion": .string(target.type.apiVersion),
            "metadata": ["resourceVersion": .string(String(page.resourceVersion))], "items": .array(deleted),
        ])
    }
}

extension APIHandler {
    /// Applies an RFC 6902 patch: a malformed patch is 400 Bad Request, one that does not apply 422 Invalid.
    static func jsonPatch(_ target: JSONValue, _ operations: JSONValue) throws(APIError) -> JSONValue {
        guard let list = operations.arrayValue else {
            throw .badRequest("json patch must be a JSON array of operations")
        }
        do {
            return try JSONPatch.apply(list, to: target)
        } catch {
            let message = "json patch: \(error.message)"
            throw error.isMalformed ? .badRequest(message) : APIError(code: 422, reason: "Invalid", message: message)
        }
    }
}
