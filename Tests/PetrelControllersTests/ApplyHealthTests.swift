import KubeClient
import KubeCore
import LocalAPIServer
import Logging
@testable import PetrelControllers
import Testing

@Suite("Apply engine: health assessment")
struct ApplyHealthTests {
    static func deploymentStatus(generation: Int64, replicas: Int64, updated: Int64, available: Int64) -> JSONValue {
        [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": "web", "namespace": "default", "generation": .integer(generation)],
            "spec": ["replicas": 2],
            "status": [
                "observedGeneration": 1, "replicas": .integer(replicas), "updatedReplicas": .integer(updated),
                "availableReplicas": .integer(available),
            ],
        ]
    }

    @Test("kstatus rules: Deployment replicas and generation, Job conditions, Ready conditions, plain objects")
    func rules() {
        #expect(HealthStatus.of(Self.deploymentStatus(generation: 1, replicas: 2, updated: 2, available: 2)) == .current)
        #expect(HealthStatus.of(Self.deploymentStatus(generation: 2, replicas: 2, updated: 2, available: 2))
            == .inProgress("observedGeneration 1 < generation 2"))
        #expect(HealthStatus.of(Self.deploymentStatus(generation: 1, replicas: 2, updated: 1, available: 2)) == .inProgress("Updated: 1/2"))
        #expect(HealthStatus.of(Self.deploymentStatus(generation: 1, replicas: 3, updated: 2, available: 2))
            == .inProgress("Pending termination: 1"))
        #expect(HealthStatus.of(Self.deploymentStatus(generation: 1, replicas: 2, updated: 2, available: 1)) == .inProgress("Available: 1/2"))
        let failedJob: JSONValue = [
            "apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": "j"],
            "status": ["conditions": [["type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"]]],
        ]
        #expect(HealthStatus.of(failedJob) == .failed("Job failed: BackoffLimitExceeded"))
        var completeJob = failedJob
        completeJob["status"] = ["conditions": [["type": "Complete", "status": "True"]]]
        #expect(HealthStatus.of(completeJob) == .current)
        var readyFalse: JSONValue = ["apiVersion": "example.com/v1", "kind": "Widget", "metadata": ["name": "w"]]
        readyFalse["status"] = ["conditions": [["type": "Ready", "status": "False", "reason": "Broken"]]]
        #expect(HealthStatus.of(readyFalse) == .failed("Ready=False: Broken"))
        readyFalse["status"] = ["conditions": [["type": "Ready", "status": "True"]]]
        #expect(HealthStatus.of(readyFalse) == .current)
        #expect(HealthStatus.of(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "c"]]) == .current)
        var crd: JSONValue = ["apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": ["name": "a.b"]]
        #expect(HealthStatus.of(crd) == .inProgress("CustomResourceDefinition is not Established"))
        crd["status"] = ["conditions": [["type": "Established", "status": "True"]]]
        #expect(HealthStatus.of(crd) == .current)
    }

    @Test("apply stages: CRDs, Namespaces and ClusterRoles first, *Class kinds next; prune in reverse order")
    func order() {
        #expect(ApplyOrder.stage(ofKind: "CustomResourceDefinition") == .clusterDefinitions)
        #expect(ApplyOrder.stage(ofKind: "ClusterRole") == .clusterDefinitions)
        #expect(ApplyOrder.stage(ofKind: "StorageClass") == .classes)
        #expect(ApplyOrder.stage(ofKind: "Deployment") == .workloads)
        func id(_ kind: String, _ name: String) -> ResourceID {
            ResourceID(group: "", version: "v1", kind: kind, namespace: "", name: name)
        }
        let pruned = ApplyOrder.pruneOrder([
            id("Namespace", "ns"), id("CustomResourceDefinition", "c"), id("ConfigMap", "a"), id("Widget", "w"),
            id("ValidatingWebhookConfiguration", "v"),
        ])
        #expect(pruned.map(\.kind) == ["ValidatingWebhookConfiguration", "Widget", "ConfigMap", "Namespace", "CustomResourceDefinition"])
    }

    @Test("resource ids: Flux description, inventory round trip, equality without version")
    func resourceIDs() throws {
        let id = try #require(ResourceID(object: Manifests.deployment("web", namespace: "apps")))
        #expect(id.description == "Deployment/apps/web")
        #expect(id.inventoryRef.id == "apps_web_apps_Deployment" && id.inventoryRef.v == "v1")
        #expect(ResourceID(inventory: id.inventoryRef) == id)
        var other = id
        other.version = "v2"
        #expect(other == id)
        #expect(ResourceID(object: Manifests.namespace("x"))?.description == "Namespace/x")
        #expect(ChangeSetEntry(id: id, action: .configured).description == "Deployment/apps/web configured")
    }

    @Test("a Deployment becomes healthy when its status is patched; a timeout lists the unhealthy object")
    func deploymentHealth() async throws {
        try await withApplyEngine { engine, client in
            let applied = try await engine.apply(
                [Manifests.deployment("web"), Manifests.configMap("cfg")], options: ApplyOptions())
            let ids = applied.map(\.id)
            let error = await #expect(throws: ApplyError.self) { try await engine.waitForHealth(ids, timeout: .milliseconds(600)) }
            guard case .healthCheckTimedOut(let waiting, _) = error else {
                Issue.record("expected healthCheckTimedOut, got \(String(describing: error))")
                return
            }
            #expect(waiting.map(\.id?.description) == ["Deployment/default/web"])
            #expect(error?.message.contains("Deployment/default/web status: 'InProgress'") == true)
            #expect(error?.reason == "HealthCheckFailed")

            let patcher = Task {
                try await Task.sleep(for: .milliseconds(300))
                _ = try await client.patchStatus(
                    Manifests.deployments, namespace: "default", name: "web",
                    .merge(["status": ["observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2]]))
            }
            try await engine.waitForHealth(ids, timeout: .seconds(20))
            try await patcher.value
        }
    }

    @Test("a failed Job fails the health check at once")
    func failedJob() async throws {
        try await withApplyEngine { engine, client in
            let applied = try await engine.apply([Manifests.job("migrate", command: "false")], options: ApplyOptions())
            _ = try await client.patchStatus(
                Manifests.jobs, namespace: "default", name: "migrate",
                .merge(["status": ["conditions": [["type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"]]]]))
            // "At once": well before the 300 s timeout (a generous bound, safe on a loaded machine).
            let start = ContinuousClock.now
            let error = await #expect(throws: ApplyError.self) {
                try await engine.waitForHealth(applied.map(\.id), timeout: .seconds(300))
            }
            #expect(ContinuousClock.now - start < .seconds(120))
            #expect(error?.message.contains("Job/default/migrate status: 'Failed': Job failed: BackoffLimitExceeded") == true)
        }
    }
}
