import Foundation
import KubeClient
import KubeCore
import Kustomize
import Logging
import PetrelAPI
import Testing

@testable import PetrelControllers

/// Multi-tenancy (`spec.serviceAccountName`, `--default-service-account`) and the failure paths of prune and health
/// checks, against a real LocalAPIServer enforcing RBAC for the impersonated ServiceAccount.
@Suite("Kustomization controller: tenancy, failed prune, failed health check", .serialized)
struct KustomizationTenancyTests {
    typealias H = KustomizationHarness

    /// A ServiceAccount `deployer` in the harness namespace, allowed `verbs` on `resources` (default ConfigMaps
    /// and Deployments) there through the Role and RoleBinding `role`; grants under other role names add up.
    static func grantDeployer(
        _ h: H, verbs: [String], resources: [String] = ["configmaps", "deployments"], role: String = "deployer"
    ) async throws {
        let rbac = """
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: deployer, namespace: \(h.namespace)}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: \(role), namespace: \(h.namespace)}
            rules:
            - apiGroups: ["", apps]
              resources: [\(resources.joined(separator: ", "))]
              verbs: [\(verbs.joined(separator: ", "))]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: \(role), namespace: \(h.namespace)}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: \(role)}
            subjects:
            - {kind: ServiceAccount, name: deployer, namespace: \(h.namespace)}
            """
        for document in try YAMLCodec.parseStream(rbac, file: "rbac.yaml") {
            _ = try await h.client.apply(document, fieldManager: "test", force: true)
        }
    }

    /// Creates another namespace; returns its name.
    static func otherNamespace(_ h: H) async throws -> String {
        let name = "other-\(UUID().uuidString.prefix(8).lowercased())"
        _ = try await h.client.create(
            GroupVersionResource(group: "", version: "v1", resource: "namespaces"),
            ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]])
        return name
    }

    static func configMap(_ name: String, namespace: String, value: String) -> String {
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \(name)\n  namespace: \(namespace)\ndata:\n  v: \"\(value)\"\n"
    }

    static func configMap(_ h: H, _ name: String, namespace: String) async throws -> JSONValue? {
        do {
            return try await h.client.get(H.configMaps, namespace: namespace, name: name)
        } catch let error as KubeClientError where error.isNotFound {
            return nil
        }
    }

    @Test("serviceAccountName: applies as the ServiceAccount; an object it may not write fails the whole set")
    func serviceAccountName() async throws {
        try await H.run { h in
            try await Self.grantDeployer(h, verbs: ["get", "list", "watch", "create", "update", "patch", "delete"])
            let other = try await Self.otherNamespace(h)
            let first = try h.publish(
                ["deploy/a.yaml": Self.configMap("a", namespace: h.namespace, value: "1")], name: "t1",
                revision: H.revision("1"))
            try await h.setSource("repo", artifact: first)
            try await h.createKustomization("tenant", source: "repo") { spec in
                spec.targetNamespace = nil
                spec.serviceAccountName = "deployer"
            }
            try await h.waitForReady("tenant", status: .true, reason: "ReconciliationSucceeded")
            #expect(try await Self.configMap(h, "a", namespace: h.namespace)?[path: ["data", "v"]] == "1")

            // A commit that changes a and adds a ConfigMap in another namespace: the dry-run as the
            // ServiceAccount fails on the foreign object, so nothing of the set is applied.
            let second = try h.publish(
                [
                    "deploy/a.yaml": Self.configMap("a", namespace: h.namespace, value: "2"),
                    "deploy/x.yaml": Self.configMap("x", namespace: other, value: "1"),
                ], name: "t2", revision: H.revision("2"))
            try await h.setSource("repo", artifact: second)
            let user = "system:serviceaccount:\(h.namespace):deployer"
            let ks = try await h.waitForReady(
                "tenant", status: .false, reason: "ReconciliationFailed", messageContains: "ConfigMap/\(other)/x")
            let message = ks?.status.conditions.find(ConditionType.ready)?.message ?? ""
            #expect(message.contains("forbidden: User \"\(user)\" cannot"), "\(message)")
            #expect(message.contains("in the namespace \"\(other)\""), "\(message)")
            #expect(try await Self.configMap(h, "a", namespace: h.namespace)?[path: ["data", "v"]] == "1")
            #expect(try await Self.configMap(h, "x", namespace: other) == nil)
            #expect(ks?.status.lastAppliedRevision == H.revision("1"))
            #expect(ks?.status.inventory?.entries.map(\.id) == ["\(h.namespace)_a__ConfigMap"])

            // Without serviceAccountName (and no default) the controller's own identity applies the same set.
            try await h.patchKustomization("tenant", ["spec": ["serviceAccountName": nil]])
            try await h.waitForReady(
                "tenant", status: .true, reason: "ReconciliationSucceeded", messageContains: H.revision("2"))
            #expect(try await Self.configMap(h, "x", namespace: other)?[path: ["data", "v"]] == "1")
            #expect(try await Self.configMap(h, "a", namespace: h.namespace)?[path: ["data", "v"]] == "2")
        }
    }

    @Test("--default-service-account applies when the spec names none; a missing account is denied")
    func defaultServiceAccount() async throws {
        try await H.run(defaultServiceAccount: "deployer") { h in
            try await Self.grantDeployer(h, verbs: ["get", "list", "watch", "create", "update", "patch", "delete"])
            let other = try await Self.otherNamespace(h)
            let artifact = try h.publish(
                [
                    "own/a.yaml": Self.configMap("a", namespace: h.namespace, value: "1"),
                    "foreign/x.yaml": Self.configMap("x", namespace: other, value: "1"),
                ], name: "d1", revision: H.revision("1"))
            try await h.setSource("repo", artifact: artifact)
            try await h.createKustomization("own", source: "repo", path: "./own") { $0.targetNamespace = nil }
            try await h.createKustomization("foreign", source: "repo", path: "./foreign") { $0.targetNamespace = nil }
            try await h.waitForReady("own", status: .true, reason: "ReconciliationSucceeded")
            let ks = try await h.waitForReady(
                "foreign", status: .false, reason: "ReconciliationFailed",
                messageContains: "User \"system:serviceaccount:\(h.namespace):deployer\"")
            #expect(ks?.status.conditions.find(ConditionType.ready)?.message.contains("ConfigMap/\(other)/x") == true)
            #expect(try await Self.configMap(h, "x", namespace: other) == nil)

            // A named ServiceAccount wins over the default; one without any binding may do nothing.
            try await h.createKustomization("nobody", source: "repo", path: "./own") { spec in
                spec.targetNamespace = nil
                spec.serviceAccountName = "nobody"
            }
            try await h.waitForReady(
                "nobody", status: .false, reason: "ReconciliationFailed",
                messageContains: "User \"system:serviceaccount:\(h.namespace):nobody\"")
        }
    }

    @Test("a prune the ServiceAccount may not do fails with PruneFailed and keeps the object in the inventory")
    func failedPruneKeepsInventory() async throws {
        try await H.run { h in
            try await Self.grantDeployer(h, verbs: ["get", "list", "watch", "create", "update", "patch"])
            let first = try h.publish(
                [
                    "deploy/a.yaml": H.configMapYAML("a", ["v": "1"]),
                    "deploy/b.yaml": H.configMapYAML("b", ["v": "1"]),
                ], name: "p1", revision: H.revision("1"))
            try await h.setSource("repo", artifact: first)
            try await h.createKustomization("app", source: "repo") { spec in
                spec.serviceAccountName = "deployer"
                spec.retryInterval = .seconds(1)
            }
            try await h.waitForReady("app", status: .true, reason: "ReconciliationSucceeded")

            let second = try h.publish(
                ["deploy/a.yaml": H.configMapYAML("a", ["v": "2"])], name: "p2", revision: H.revision("2"))
            try await h.setSource("repo", artifact: second)
            let ks = try await h.waitForReady(
                "app", status: .false, reason: "PruneFailed", messageContains: "ConfigMap/\(h.namespace)/b")
            let message = ks?.status.conditions.find(ConditionType.ready)?.message ?? ""
            #expect(message.contains("cannot delete resource \"configmaps\""), "\(message)")
            #expect(try await h.configMap("b") != nil)
            #expect(try await h.configMap("a")?[path: ["data", "v"]] == "2", "the apply before the prune stays")
            #expect(
                Set(ks?.status.inventory?.entries.map(\.id) ?? [])
                    == ["\(h.namespace)_a__ConfigMap", "\(h.namespace)_b__ConfigMap"])
            #expect(h.events.all.contains { $0.type == .warning && $0.reason == "PruneFailed" })

            // Once the ServiceAccount may delete, the retry prunes b and drops it from the inventory.
            try await Self.grantDeployer(h, verbs: ["get", "list", "watch", "create", "update", "patch", "delete"])
            let fixed = try await h.waitForReady(
                "app", status: .true, reason: "ReconciliationSucceeded", messageContains: H.revision("2"))
            #expect(try await h.configMap("b") == nil)
            #expect(fixed?.status.inventory?.entries.map(\.id) == ["\(h.namespace)_a__ConfigMap"])
        }
    }

    @Test("wait: a Deployment that never rolls out fails with HealthCheckFailed until its status says so",
        .timeLimit(.minutes(2)))
    func failingHealthCheck() async throws {
        try await H.run { h in
            try await Self.grantDeployer(h, verbs: ["get", "list", "watch", "create", "update", "patch"])
            let deployment = """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web}
                spec:
                  replicas: 2
                  selector: {matchLabels: {app: web}}
                  template:
                    metadata: {labels: {app: web}}
                    spec: {containers: [{name: main, image: "nginx:1"}]}
                """
            let artifact = try h.publish(
                ["deploy/web.yaml": deployment, "deploy/cm.yaml": H.configMapYAML("cfg", ["v": "1"])], name: "h1",
                revision: H.revision("1"))
            try await h.setSource("repo", artifact: artifact)
            try await h.createKustomization("app", source: "repo") { spec in
                spec.serviceAccountName = "deployer"
                spec.wait = true
                spec.timeout = .seconds(2)
                spec.retryInterval = .seconds(1)
            }
            // Flux floors the timeout at 30 s (`GetTimeout`), so the health check gives up after 30 s, not 2 s.
            var ks: Kustomization?
            try await h.eventually("app Ready=False HealthCheckFailed", timeout: .seconds(60)) {
                ks = try await h.kustomization("app")
                return ks?.status.conditions.find(ConditionType.ready)?.reason == "HealthCheckFailed"
            }
            #expect(ks?.status.conditions.find(ConditionType.ready)?.status == .false)
            let healthy = ks?.status.conditions.find(ConditionType.healthy)
            #expect(healthy?.status == .false)
            #expect(healthy?.reason == "HealthCheckFailed")
            #expect(healthy?.message.contains("Deployment/\(h.namespace)/web") == true, "\(String(describing: healthy))")
            #expect(healthy?.message.contains("ConfigMap") == false, "only the unhealthy object is named")
            #expect(ks?.status.inventory?.entries.count == 2, "applied objects are recorded despite the failure")
            // The Event follows the status write: wait for it rather than race it.
            try await h.eventually("a HealthCheckFailed warning event") {
                h.events.all.contains { $0.type == .warning && $0.reason == "HealthCheckFailed" }
            }

            // The local API server runs no pods: report the rollout as a controller would.
            let deployments = GroupVersionResource(group: "apps", version: "v1", resource: "deployments")
            _ = try await h.client.patchStatus(
                deployments, namespace: h.namespace, name: "web",
                .merge([
                    "status": ["observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2]
                ]))
            let ready = try await h.waitForReady("app", status: .true, reason: "ReconciliationSucceeded")
            #expect(ready?.status.conditions.find(ConditionType.healthy)?.status == .true)
        }
    }

    @Test("deletion prunes as the ServiceAccount, and skips pruning with a Warning when the account is gone")
    func deletionImpersonates() async throws {
        try await H.run { h in
            try await Self.grantDeployer(h, verbs: ["get", "list", "watch", "create", "update", "patch", "delete"])
            let artifact = try h.publish(
                [
                    "one/a.yaml": H.configMapYAML("a", ["v": "1"]),
                    "two/b.yaml": H.configMapYAML("b", ["v": "1"]),
                ], name: "f1", revision: H.revision("1"))
            try await h.setSource("repo", artifact: artifact)
            for (name, path) in [("one", "./one"), ("two", "./two")] {
                try await h.createKustomization(name, source: "repo", path: path) { $0.serviceAccountName = "deployer" }
                try await h.waitForReady(name, status: .true, reason: "ReconciliationSucceeded")
            }

            _ = try await h.client.delete(Kustomization.groupVersionResource, namespace: h.namespace, name: "one")
            try await h.eventually("one pruned and gone") {
                let gone = try await h.kustomization("one") == nil
                return try await h.configMap("a") == nil && gone
            }

            let serviceAccounts = GroupVersionResource(group: "", version: "v1", resource: "serviceaccounts")
            try await h.client.delete(serviceAccounts, namespace: h.namespace, name: "deployer")
            _ = try await h.client.delete(Kustomization.groupVersionResource, namespace: h.namespace, name: "two")
            try await h.eventually("two gone") { try await h.kustomization("two") == nil }
            #expect(try await h.configMap("b") != nil, "objects are left when the account to act as is gone")
            #expect(
                h.events.all.contains {
                    $0.type == .warning && $0.reason == "PruneFailed" && $0.object == "two"
                        && $0.message.contains("system:serviceaccount:\(h.namespace):deployer")
                        && $0.message.contains("\(h.namespace)_b__ConfigMap")
                })
        }
    }
}
