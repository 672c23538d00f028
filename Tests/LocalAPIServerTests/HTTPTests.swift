import Foundation
import KubeCore
import LocalAPIServer
import Testing

@Suite("HTTP status codes and semantics")
struct HTTPTests {
    static let cmPath = "/api/v1/namespaces/default/configmaps"

    static func configMap(_ name: String, data: JSONValue = ["k": "v"]) -> JSONValue {
        ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name)], "data": data]
    }

    @Test("Bad input gets 400, 404, 413 and 422 Status bodies and the server keeps serving")
    func badInput() async throws {
        try await TestCluster.with { cluster in
            let (malformed, malformedBody) = try await cluster.http("POST", Self.cmPath, body: Array("{nope".utf8))
            #expect(malformed == 400)
            #expect(
                malformedBody["kind"] == "Status" && malformedBody["reason"] == "BadRequest"
                    && malformedBody["code"] == 400)
            let (unknown, unknownBody) = try await cluster.http("GET", "/api/v1/namespaces/default/gizmos")
            #expect(unknown == 404 && unknownBody["reason"] == "NotFound")
            let (wrongVersion, _) = try await cluster.http(
                "POST", Self.cmPath, json: ["apiVersion": "apps/v1", "kind": "ConfigMap", "metadata": ["name": "x"]])
            #expect(wrongVersion == 400)
            let big = Self.configMap("big", data: ["k": .string(String(repeating: "x", count: 3 * 1024 * 1024 + 10))])
            let (tooLarge, _) = try await cluster.http("POST", Self.cmPath, json: big)
            #expect(tooLarge == 413)
            let (longName, longBody) = try await cluster.http(
                "POST", Self.cmPath, json: Self.configMap(String(repeating: "a", count: 254)))
            #expect(longName == 422 && longBody["reason"] == "Invalid")
            #expect(longBody[path: ["details", "causes"]]?.arrayValue?.first?["field"] == "metadata.name")
            var badLabel = Self.configMap("labelled")
            badLabel.set(path: ["metadata", "labels"], to: ["k": "not valid!"])
            let (labelCode, labelBody) = try await cluster.http("POST", Self.cmPath, json: badLabel)
            #expect(labelCode == 422)
            #expect(labelBody[path: ["details", "causes"]]?.arrayValue?.first?["field"] == "metadata.labels")
            let (missing, missingBody) = try await cluster.http(
                "POST", Self.cmPath, json: ["apiVersion": "v1", "kind": "ConfigMap", "metadata": [:]])
            #expect(missing == 422 && missingBody["reason"] == "Invalid")
            let (ok, _) = try await cluster.http("POST", Self.cmPath, json: Self.configMap("after"))
            #expect(ok == 201)
        }
    }

    @Test("Create, conflict, already-exists, not-found and dry-run follow the API conventions")
    func conventions() async throws {
        try await TestCluster.with { cluster in
            let (created, object) = try await cluster.http("POST", Self.cmPath, json: Self.configMap("one"))
            #expect(created == 201)
            #expect(object[path: ["metadata", "uid"]]?.stringValue?.isEmpty == false)
            #expect(object[path: ["metadata", "creationTimestamp"]]?.stringValue?.hasSuffix("Z") == true)
            let (again, againBody) = try await cluster.http("POST", Self.cmPath, json: Self.configMap("one"))
            #expect(again == 409 && againBody["reason"] == "AlreadyExists")
            #expect(againBody["details"] == ["name": "one", "group": "", "kind": "configmaps"])
            var stale = object
            stale.set(path: ["metadata", "resourceVersion"], to: "1")
            stale["data"] = ["k": "changed"]
            let (conflict, conflictBody) = try await cluster.http("PUT", Self.cmPath + "/one", json: stale)
            #expect(conflict == 409 && conflictBody["reason"] == "Conflict")
            let (missing, missingBody) = try await cluster.http("GET", Self.cmPath + "/nope")
            #expect(missing == 404 && missingBody["message"] == "configmaps \"nope\" not found")
            let (dry, _) = try await cluster.http("POST", Self.cmPath + "?dryRun=All", json: Self.configMap("dry"))
            #expect(dry == 201)
            let (afterDry, _) = try await cluster.http("GET", Self.cmPath + "/dry")
            #expect(afterDry == 404)
        }
    }

    @Test("Generation bumps on spec changes only, and the status subresource is kept apart from the main resource")
    func generationAndStatus() async throws {
        try await TestCluster.with { cluster in
            let path = "/apis/apps/v1/namespaces/default/deployments"
            let deployment: JSONValue = [
                "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "d"],
                "spec": ["replicas": 1], "status": ["replicas": 9],
            ]
            let (_, created) = try await cluster.http("POST", path, json: deployment)
            #expect(created["status"] == nil)
            #expect(created[path: ["metadata", "generation"]] == 1)
            let (_, labelled) = try await cluster.http(
                "PATCH", path + "/d", json: ["metadata": ["labels": ["a": "b"]]],
                contentType: "application/merge-patch+json")
            #expect(labelled[path: ["metadata", "generation"]] == 1)
            let (_, scaled) = try await cluster.http(
                "PATCH", path + "/d", json: ["spec": ["replicas": 2], "status": ["replicas": 5]],
                contentType: "application/merge-patch+json")
            #expect(scaled[path: ["metadata", "generation"]] == 2)
            #expect(scaled["status"] == nil)
            let (_, status) = try await cluster.http(
                "PATCH", path + "/d/status", json: ["spec": ["replicas": 7], "status": ["replicas": 2]],
                contentType: "application/merge-patch+json")
            #expect(status[path: ["status", "replicas"]] == 2)
            #expect(status[path: ["spec", "replicas"]] == 2)
            #expect(status[path: ["metadata", "generation"]] == 2)
        }
    }

    @Test("Custom resources violating the CRD schema get 422 naming the field")
    func schemaValidation() async throws {
        try await TestCluster.with { cluster in
            #expect(try await cluster.kubectl(["apply", "-f", "-"], stdin: widgetCRD).status == 0)
            let path = "/apis/test.petrel.dev/v1/namespaces/default/widgets"
            func widget(_ spec: JSONValue) -> JSONValue {
                ["apiVersion": "test.petrel.dev/v1", "kind": "Widget", "metadata": ["name": "w"], "spec": spec]
            }
            for (spec, field) in [
                (["size": "big"], "spec.size"), (["color": "red"], "spec.size"),
                (["size": 1, "color": "pink"], "spec.color"), (["size": 1, "code": "ABC"], "spec.code"),
            ] as [(JSONValue, String)] {
                let (code, body) = try await cluster.http("POST", path, json: widget(spec))
                #expect(code == 422, "\(spec)")
                let fields =
                    body[path: ["details", "causes"]]?.arrayValue?.compactMap { $0["field"]?.stringValue } ?? []
                #expect(fields.contains(field), "\(body)")
            }
            let (ok, _) = try await cluster.http(
                "POST", path, json: widget(["size": 2, "color": "blue", "code": "abc"]))
            #expect(ok == 201)
        }
    }

    @Test("Lists paginate with limit and continue")
    func pagination() async throws {
        try await TestCluster.with { cluster in
            for index in 0..<5 { _ = try await cluster.http("POST", Self.cmPath, json: Self.configMap("p\(index)")) }
            var names: [String] = []
            var token = ""
            var pages = 0
            repeat {
                let (_, page) = try await cluster.http(
                    "GET", Self.cmPath + "?limit=2" + (token.isEmpty ? "" : "&continue=\(token)"))
                names += page["items"]?.arrayValue?.compactMap { $0[path: ["metadata", "name"]]?.stringValue } ?? []
                token =
                    page[path: ["metadata", "continue"]]?.stringValue?.addingPercentEncoding(
                        withAllowedCharacters: .alphanumerics) ?? ""
                pages += 1
            } while !token.isEmpty && pages < 10
            #expect(names == ["p0", "p1", "p2", "p3", "p4"])
            #expect(pages == 3)
        }
    }

    @Test("Deleting a namespace deletes its contents")
    func namespaceDeletion() async throws {
        try await TestCluster.with { cluster in
            _ = try await cluster.http(
                "POST", "/api/v1/namespaces",
                json: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "gone"]])
            let (created, _) = try await cluster.http(
                "POST", "/api/v1/namespaces/gone/configmaps", json: Self.configMap("inside"))
            #expect(created == 201)
            let (deleted, _) = try await cluster.http("DELETE", "/api/v1/namespaces/gone")
            #expect(deleted == 200)
            let (_, list) = try await cluster.http("GET", "/api/v1/configmaps")
            #expect(list["items"]?.arrayValue?.isEmpty == true)
            let (noNamespace, _) = try await cluster.http(
                "POST", "/api/v1/namespaces/gone/configmaps", json: Self.configMap("x"))
            #expect(noNamespace == 404)
        }
    }

    @Test("Many parallel creates all succeed with distinct resourceVersions")
    func parallelCreates() async throws {
        try await TestCluster.with { cluster in
            let versions = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        let (_, object) = try await cluster.http(
                            "POST", Self.cmPath, json: Self.configMap("par\(index)"))
                        return object[path: ["metadata", "resourceVersion"]]?.stringValue ?? ""
                    }
                }
                var all: [String] = []
                for try await version in group { all.append(version) }
                return all
            }
            #expect(Set(versions).count == 200)
            #expect(!versions.contains(""))
        }
    }
}

@Suite("Persistence")
struct PersistenceTests {
    @Test("With a data directory, objects, CRDs and resourceVersions survive a restart")
    func survivesRestart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "petrel-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let configuration = LocalAPIServer.Configuration(dataDirectory: directory.path)
        let before = try await TestCluster.with(configuration: configuration) { cluster in
            #expect(try await cluster.kubectl(["apply", "-f", "-"], stdin: widgetCRD).status == 0)
            let widget: JSONValue = [
                "apiVersion": "test.petrel.dev/v1", "kind": "Widget", "metadata": ["name": "kept"], "spec": ["size": 1],
            ]
            let (code, _) = try await cluster.http(
                "POST", "/apis/test.petrel.dev/v1/namespaces/default/widgets", json: widget)
            #expect(code == 201)
            let (_, object) = try await cluster.http("POST", HTTPTests.cmPath, json: HTTPTests.configMap("kept"))
            return object
        }
        try await TestCluster.with(configuration: configuration) { cluster in
            let (code, object) = try await cluster.http("GET", HTTPTests.cmPath + "/kept")
            #expect(code == 200)
            #expect(object == before)
            let (widgetCode, _) = try await cluster.http(
                "GET", "/apis/test.petrel.dev/v1/namespaces/default/widgets/kept")
            #expect(widgetCode == 200)
            let (_, list) = try await cluster.http("GET", HTTPTests.cmPath)
            let listVersion = Int(list[path: ["metadata", "resourceVersion"]]?.stringValue ?? "") ?? 0
            #expect(listVersion >= Int(before[path: ["metadata", "resourceVersion"]]?.stringValue ?? "") ?? Int.max)
        }
    }
}
