import Foundation
import KubeCore
import LocalAPIServer
import Testing

@Suite("Built-in field types, immutable fields and server-side dry-run")
struct BuiltInValidationTests {
    static let deployments = "/apis/apps/v1/namespaces/default/deployments"
    static let services = "/api/v1/namespaces/default/services"

    static func deployment(replicas: JSONValue, app: String = "web") -> JSONValue {
        [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web"],
            "spec": [
                "replicas": replicas, "selector": ["matchLabels": ["app": .string(app)]],
                "template": [
                    "metadata": ["labels": ["app": .string(app)]],
                    "spec": ["containers": [["name": "main", "image": "nginx"]]],
                ],
            ],
        ]
    }

    @Test("a Deployment with a string replicas gets 422 naming spec.replicas, also under dryRun=All")
    func wrongType() async throws {
        try await TestCluster.with { cluster in
            for path in [Self.deployments + "?dryRun=All", Self.deployments] {
                let (code, body) = try await cluster.http("POST", path, json: Self.deployment(replicas: "two"))
                #expect(code == 422)
                #expect(body[path: ["details", "causes"]]?.arrayValue?.first?["field"] == "spec.replicas")
                #expect(body["message"]?.stringValue?.contains("Deployment.apps \"web\" is invalid") == true)
            }
            let (created, _) = try await cluster.http("POST", Self.deployments, json: Self.deployment(replicas: 2))
            #expect(created == 201)
        }
    }

    @Test("a dry-run apply stores nothing")
    func dryRunApply() async throws {
        try await TestCluster.with { cluster in
            let (code, body) = try await cluster.http(
                "PATCH", Self.deployments + "/web?fieldManager=t&force=true&dryRun=All", json: Self.deployment(replicas: 1),
                contentType: "application/apply-patch+yaml")
            #expect(code == 201)
            #expect(body[path: ["spec", "replicas"]] == 1)
            let (missing, _) = try await cluster.http("GET", Self.deployments + "/web")
            #expect(missing == 404)
        }
    }

    @Test("changing a Deployment's selector or a Service's clusterIP is rejected as immutable")
    func immutable() async throws {
        try await TestCluster.with { cluster in
            _ = try await cluster.http("POST", Self.deployments, json: Self.deployment(replicas: 1))
            let (code, body) = try await cluster.http(
                "PUT", Self.deployments + "/web", json: Self.deployment(replicas: 1, app: "other"))
            #expect(code == 422)
            #expect(body[path: ["details", "causes"]]?.arrayValue?.first?["field"] == "spec.selector")
            #expect(body["message"]?.stringValue?.contains("field is immutable") == true)
            let (scaled, _) = try await cluster.http("PUT", Self.deployments + "/web", json: Self.deployment(replicas: 3))
            #expect(scaled == 200)

            func service(_ ip: String) -> JSONValue {
                ["apiVersion": "v1", "kind": "Service", "metadata": ["name": "web"],
                 "spec": ["clusterIP": .string(ip), "ports": [["port": 80]]]]
            }
            _ = try await cluster.http("POST", Self.services, json: service("10.0.0.1"))
            let (changed, changedBody) = try await cluster.http("PUT", Self.services + "/web", json: service("10.0.0.2"))
            #expect(changed == 422)
            #expect(changedBody[path: ["details", "causes"]]?.arrayValue?.first?["field"] == "spec.clusterIP")
            let (same, _) = try await cluster.http("PUT", Self.services + "/web", json: service("10.0.0.1"))
            #expect(same == 200)
        }
    }
}
