import Foundation
import KubeClient
import KubeCore
import Testing

private let configmaps = GroupVersionResource(group: "", version: "v1", resource: "configmaps")

@Suite("Verbs over HTTP against a canned server")
struct HTTPVerbTests {
    @Test("get, create, update, patch, apply and delete send the right requests")
    func verbs() async throws {
        try await FakeAPIServer.with { server in
            let client = try server.client()
            defer { Task { try? await client.shutdown() } }
            let got = try await client.get(configmaps, namespace: "ns", name: "one")
            #expect(got.kube.name == "one")
            var object: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "new", "namespace": "ns"]]
            let created = try await client.create(configmaps, object)
            #expect(created.kube.resourceVersion == "2")
            object.kube.resourceVersion = "2"
            _ = try await client.update(configmaps, object)
            _ = try await client.updateStatus(configmaps, object)
            _ = try await client.patch(configmaps, namespace: "ns", name: "new", .merge(["data": ["k": "v2"]]))
            _ = try await client.patch(configmaps, namespace: "ns", name: "new", .json([["op": "remove", "path": "/data/k"]]))
            _ = try await client.patchStatus(configmaps, namespace: "ns", name: "new", .strategic(["status": [:]]))
            _ = try await client.apply(configmaps, object, fieldManager: "petrel", force: true)
            try await client.delete(
                configmaps, namespace: "ns", name: "new",
                options: DeleteOptions(propagationPolicy: .foreground, preconditionUID: "u1", preconditionResourceVersion: "2"))

            let requests = try await server.requests(using: client)
            #expect(requests.map { "\($0["method"] ?? "") \($0["path"] ?? "")" } == [
                "GET /api/v1/namespaces/ns/configmaps/one",
                "POST /api/v1/namespaces/ns/configmaps",
                "PUT /api/v1/namespaces/ns/configmaps/new",
                "PUT /api/v1/namespaces/ns/configmaps/new/status",
                "PATCH /api/v1/namespaces/ns/configmaps/new",
                "PATCH /api/v1/namespaces/ns/configmaps/new",
                "PATCH /api/v1/namespaces/ns/configmaps/new/status",
                "PATCH /api/v1/namespaces/ns/configmaps/new",
                "DELETE /api/v1/namespaces/ns/configmaps/new",
            ])
            #expect(requests.allSatisfy { $0["authorization"] == "Bearer s3cr3t-token" })
            #expect(requests[4]["contentType"] == "application/merge-patch+json")
            #expect(requests[5]["contentType"] == "application/json-patch+json")
            #expect(requests[6]["contentType"] == "application/strategic-merge-patch+json")
            #expect(requests[7]["contentType"] == "application/apply-patch+yaml")
            #expect(requests[7]["?fieldManager"] == "petrel")
            #expect(requests[7]["?force"] == "true")
            let deleteBody = try JSONParser.parse(requests[8]["body"] ?? "")
            #expect(deleteBody["propagationPolicy"] == "Foreground")
            #expect(deleteBody[path: ["preconditions", "uid"]] == "u1")
            #expect(deleteBody[path: ["preconditions", "resourceVersion"]] == "2")
        }
    }

    @Test("listAll follows continue tokens and fills in kind")
    func pagination() async throws {
        try await FakeAPIServer.with { server in
            let client = try server.client()
            defer { Task { try? await client.shutdown() } }
            let page = try await client.list(configmaps, namespace: "ns", options: QueryOptions(limit: 2))
            #expect(page.items.count == 2)
            #expect(page.continueToken == "2")
            let all = try await client.listAll(configmaps, namespace: "ns", pageSize: 2)
            #expect(all.items.compactMap(\.kube.name) == ["a", "b", "c", "d", "e"])
            #expect(all.items.allSatisfy { $0.kube.kind == "ConfigMap" && $0.kube.apiVersion == "v1" })
            #expect(all.resourceVersion == "42")
            #expect(all.continueToken.isEmpty)
            let continues = try await server.requests(using: client).compactMap { $0["?continue"] }
            #expect(continues == ["2", "4"])
        }
    }

    @Test("maps the server's Status to KubeClientError cases")
    func errors() async throws {
        try await FakeAPIServer.with { server in
            let client = try server.client()
            defer { Task { try? await client.shutdown() } }
            await #expect { try await client.get(configmaps, namespace: "ns", name: "missing") } throws: { error in
                guard let error = error as? KubeClientError, case .notFound(let status) = error else { return false }
                return status.message == "configmaps \"missing\" not found" && error.reason == "NotFound"
            }
            await #expect { try await client.create(configmaps, ["metadata": ["name": "exists", "namespace": "ns"]]) } throws: {
                ($0 as? KubeClientError)?.isAlreadyExists == true
            }
            await #expect { try await client.create(configmaps, ["metadata": ["name": "invalid", "namespace": "ns"]]) } throws: {
                guard let error = $0 as? KubeClientError, case .invalid = error else { return false }
                return error.causes.map(\.field) == ["data.x"]
            }
            await #expect { try await client.update(configmaps, ["metadata": ["name": "stale", "namespace": "ns"]]) } throws: {
                ($0 as? KubeClientError)?.isConflict == true
            }
            await #expect { try await client.get(configmaps, namespace: "ns", name: "forbidden") } throws: {
                guard let error = $0 as? KubeClientError, case .forbidden = error else { return false }
                return error.message == "configmaps is forbidden"
            }
            await #expect { try await client.get(configmaps, namespace: "ns", name: "broken") } throws: {
                guard let error = $0 as? KubeClientError, case .server(code: 500, _) = error else { return false }
                return !error.message.isEmpty
            }
        }
    }

    @Test("retries 429 honouring Retry-After, then gives up")
    func throttling() async throws {
        try await FakeAPIServer.with { server in
            let client = try server.client()
            defer { Task { try? await client.shutdown() } }
            let start = ContinuousClock.now
            let object = try await client.get(configmaps, namespace: "ns", name: "throttled")
            #expect(object.kube.name == "throttled")
            #expect(ContinuousClock.now - start >= .seconds(2))
            await #expect { try await client.get(configmaps, namespace: "ns", name: "always-throttled") } throws: {
                guard let error = $0 as? KubeClientError, case .tooManyRequests(_, let retryAfter) = error else { return false }
                return retryAfter == 0
            }
            let attempts = try await server.requests(using: client).filter { $0["path"]?.hasSuffix("/always-throttled") == true }
            #expect(attempts.count == 4)
        }
    }

    @Test("applies the per-request timeout")
    func timeout() async throws {
        try await FakeAPIServer.with { server in
            let client = try server.client(timeout: .milliseconds(500))
            defer { Task { try? await client.shutdown() } }
            await #expect { try await client.get(configmaps, namespace: "ns", name: "slow") } throws: {
                ($0 as? KubeClientError)?.reason == "Timeout"
            }
        }
    }

    @Test("re-reads a token file after a 401 and never puts the token in errors")
    func tokenRotation() async throws {
        let directory = try TemporaryDirectory()
        let tokenFile = directory.path + "/token"
        try "first\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        try await FakeAPIServer.with { server in
            let client = try server.client(authentication: .tokenFile(path: tokenFile, refreshInterval: .seconds(60)))
            defer { Task { try? await client.shutdown() } }
            await #expect { try await client.get(configmaps, namespace: "ns", name: "rotating") } throws: { error in
                guard let error = error as? KubeClientError, case .unauthorized = error else { return false }
                return !"\(error)".contains("first")
            }
            try "second\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
            let object = try await client.get(configmaps, namespace: "ns", name: "rotating")
            #expect(object.kube.name == "rotating")
        }
    }

    @Test("watch parses events from a chunked stream split mid-line")
    func watch() async throws {
        try await FakeAPIServer.with { server in
            let client = try server.client()
            defer { Task { try? await client.shutdown() } }
            let stream = try await client.watch(
                configmaps, namespace: "ns", options: QueryOptions(resourceVersion: "9", allowWatchBookmarks: true))
            var events: [WatchEvent] = []
            for try await event in stream { events.append(event) }
            #expect(events.map(\.type) == [.added, .modified, .bookmark, .deleted, .error])
            #expect(events.map { $0.object.kube.resourceVersion ?? "" } == ["10", "11", "12", "13", ""])
            #expect(events.last?.status?.code == 410)
            let request = try #require(try await server.requests(using: client).first { $0["?watch"] != nil })
            #expect(request["?watch"] == "true")
            #expect(request["?resourceVersion"] == "9")
            #expect(request["?allowWatchBookmarks"] == "true")
        }
    }

    @Test("discovery resolves kinds, caches, and refreshes on a miss")
    func discovery() async throws {
        try await FakeAPIServer.with { server in
            let client = try server.client()
            defer { Task { try? await client.shutdown() } }
            let configMap = try await client.discovery.resource(for: GroupVersionKind(group: "", version: "v1", kind: "ConfigMap"), client: client)
            #expect(configMap.name == "configmaps")
            #expect(configMap.namespaced)
            let namespace = try await client.discovery.resource(for: GroupVersionKind(group: "", version: "v1", kind: "Namespace"), client: client)
            #expect(namespace.name == "namespaces")
            #expect(!namespace.namespaced)
            #expect(await client.discovery.fetches == 1)
            // The first look at example.com/v1 has no Widget; the refresh on the miss finds it.
            let widgetKind = GroupVersionKind(group: "example.com", version: "v1", kind: "Widget")
            _ = try? await client.discovery.resources(in: widgetKind.groupVersion, client: client)
            let widget = try await client.discovery.resource(for: widgetKind, client: client)
            #expect(widget.groupVersionResource == GroupVersionResource(group: "example.com", version: "v1", resource: "widgets"))
            await #expect(throws: KubeClientError.self) {
                try await client.discovery.resource(for: GroupVersionKind(group: "nope.io", version: "v1", kind: "X"), client: client)
            }
            let versions = try await client.discovery.groupVersions(client: client)
            #expect(versions.map(\.apiVersion) == ["v1", "apps/v1"])
            // Object-based verbs resolve through discovery and default the namespace.
            _ = try await client.apply(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "x"]], fieldManager: "m")
            let last = try #require(try await server.requests(using: client).last)
            #expect(last["path"] == "/api/v1/namespaces/ns/configmaps/x")
        }
    }
}

/// A temporary directory removed at deinit.
final class TemporaryDirectory {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "kubeclient-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}
