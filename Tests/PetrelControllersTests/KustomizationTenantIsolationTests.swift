import Foundation
import KubeClient
import KubeCore
import PetrelAPI
import Testing

@testable import PetrelControllers

/// Tenant mode (`--default-service-account`, `--no-cross-namespace-refs`): what a Kustomization reads on its
/// author's behalf is read as its ServiceAccount or refused, against a real LocalAPIServer enforcing RBAC for the
/// impersonated account.
@Suite("Kustomization controller: tenants stay in their namespace", .serialized)
struct KustomizationTenantIsolationTests {
    typealias H = KustomizationHarness
    typealias T = KustomizationTenancyTests

    static let secretValue = "tenant-s3cret-7f1c9a"

    /// Creates the Secret `name` in `namespace` holding `data` (base64-encoded, as the API stores it).
    static func createSecret(_ h: H, _ name: String, namespace: String, _ data: [String: String]) async throws {
        var encoded = JSONObject()
        for (key, value) in data { encoded[key] = .string(Data(value.utf8).base64EncodedString()) }
        _ = try await h.client.create(
            H.secrets, namespace: namespace,
            [
                "apiVersion": "v1", "kind": "Secret",
                "metadata": ["name": .string(name), "namespace": .string(namespace)], "data": .object(encoded),
            ])
    }

    /// Every message a user could see for the Kustomization `name`: conditions and events.
    static func visibleMessages(_ h: H, _ name: String) async throws -> [String] {
        let conditions = try await h.kustomization(name)?.status.conditions.map(\.message) ?? []
        return conditions + h.events.all.filter { $0.object == name }.map(\.message)
    }

    @Test("substituteFrom is read as the ServiceAccount: a Secret it may not get fails the build, unread")
    func substituteFromImpersonates() async throws {
        try await H.run(noCrossNamespaceRefs: true, defaultServiceAccount: "deployer") { h in
            try await T.grantDeployer(h, verbs: ["get", "list", "watch", "create", "update", "patch", "delete"])
            try await Self.createSecret(h, "creds", namespace: h.namespace, ["PW": Self.secretValue])
            let artifact = try h.publish(
                ["deploy/app.yaml": H.configMapYAML("app", ["v": "${PW}"])], name: "s1", revision: H.revision("1"))
            try await h.setSource("repo", artifact: artifact)
            try await h.createKustomization("subst", source: "repo") { spec in
                spec.postBuild = PostBuild(substituteFrom: [SubstituteReference(kind: .secret, name: "creds")])
                spec.retryInterval = .seconds(1)
            }
            let user = "system:serviceaccount:\(h.namespace):deployer"
            let ks = try await h.waitForReady(
                "subst", status: .false, reason: "BuildFailed", messageContains: "Secret/creds")
            let message = ks?.status.conditions.find(ConditionType.ready)?.message ?? ""
            #expect(message.contains("User \"\(user)\" cannot get resource \"secrets\""), "\(message)")
            #expect(try await h.configMap("app") == nil, "nothing is applied")
            #expect(try await Self.visibleMessages(h, "subst").allSatisfy { !$0.contains(Self.secretValue) })

            // Once the tenant's account may read the Secret, the same Kustomization substitutes it.
            try await T.grantDeployer(h, verbs: ["get"], resources: ["secrets"], role: "secret-reader")
            try await h.waitForReady("subst", status: .true, reason: "ReconciliationSucceeded")
            #expect(try await h.configMap("app")?[path: ["data", "v"]]?.stringValue == Self.secretValue)
        }
    }

    @Test("substituteFrom never reaches another namespace's Secret, whatever the entry says")
    func substituteFromStaysInNamespace() async throws {
        try await H.run { h in
            let other = try await T.otherNamespace(h)
            try await Self.createSecret(h, "shared", namespace: other, ["PW": Self.secretValue])
            let artifact = try h.publish(
                ["deploy/app.yaml": H.configMapYAML("app", ["v": "${PW}"])], name: "n1", revision: H.revision("1"))
            try await h.setSource("repo", artifact: artifact)
            // A `namespace` in the entry is not part of the API: the Secret is looked up in the Kustomization's
            // own namespace, even with the controller's identity (no ServiceAccount here).
            var spec = try JSONValueCoding.encode(
                KustomizationSpec(
                    sourceRef: CrossNamespaceSourceReference(name: "repo"), interval: .minutes(60), prune: true,
                    path: "./deploy"))
            spec["targetNamespace"] = .string(h.namespace)
            spec["postBuild"] = [
                "substituteFrom": [["kind": "Secret", "name": "shared", "namespace": .string(other)]]
            ]
            _ = try await h.client.create(
                Kustomization.groupVersionResource, namespace: h.namespace,
                [
                    "apiVersion": .string(Kustomization.apiVersion), "kind": "Kustomization",
                    "metadata": ["name": "foreign", "namespace": .string(h.namespace)], "spec": spec,
                ])
            let ks = try await h.waitForReady(
                "foreign", status: .false, reason: "BuildFailed", messageContains: "Secret/shared")
            #expect(ks?.status.conditions.find(ConditionType.ready)?.message.contains("not found") == true)
            #expect(try await h.configMap("app") == nil)
        }
    }

    @Test("--no-cross-namespace-refs refuses a dependsOn entry in another namespace: Stalled, AccessDenied")
    func crossNamespaceDependencyRefused() async throws {
        try await H.run(noCrossNamespaceRefs: true) { h in
            let other = try await T.otherNamespace(h)
            let artifact = try h.publish(
                ["deploy/a.yaml": H.configMapYAML("a", ["v": "1"])], name: "d1", revision: H.revision("1"))
            try await h.setSource("repo", artifact: artifact)
            try await h.createKustomization("app", source: "repo") { spec in
                spec.dependsOn = [DependencyReference(name: "platform", namespace: other)]
            }
            let ks = try await h.waitForReady(
                "app", status: .false, reason: "AccessDenied", messageContains: "\(other)/platform")
            #expect(ks?.status.conditions.find(ConditionType.stalled)?.status == .true)
            #expect(try await h.configMap("a") == nil)
        }
    }

    /// A ConfigMap manifest `name` with `v: value`, in `namespace` if given, asking for a takeover if `takeover`.
    static func configMap(_ name: String, value: String, namespace: String? = nil, takeover: Bool = false) -> String {
        var metadata = "  name: \(name)\n"
        if let namespace { metadata += "  namespace: \(namespace)\n" }
        if takeover { metadata += "  annotations:\n    \(WellKnown.takeoverKey): enabled\n" }
        return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\(metadata)data:\n  v: \"\(value)\"\n"
    }

    /// The Kustomization owning the live ConfigMap `name` (its name label) and its `v`.
    static func owner(_ h: H, _ name: String) async throws -> (owner: String?, value: String?) {
        let live = try await h.configMap(name)
        return (
            live?[path: ["metadata", "labels", WellKnown.kustomizeNameLabel]]?.stringValue,
            live?[path: ["data", "v"]]?.stringValue
        )
    }

    @Test("an object another Kustomization manages is refused; takeover moves it and the old owner never prunes it")
    func ownershipConflict() async throws {
        try await H.run { h in
            try await h.setSource(
                "repo-a",
                artifact: try h.publish(
                    ["deploy/x.yaml": Self.configMap("x", value: "a")], name: "a1", revision: H.revision("1")))
            try await h.setSource(
                "repo-b",
                artifact: try h.publish(
                    ["deploy/x.yaml": Self.configMap("x", value: "b")], name: "b1", revision: H.revision("2")))
            try await h.createKustomization("a", source: "repo-a")
            try await h.waitForReady("a", status: .true, reason: "ReconciliationSucceeded")
            try await h.createKustomization("b", source: "repo-b") { $0.retryInterval = .seconds(1) }
            let refused = try await h.waitForReady(
                "b", status: .false, reason: "ReconciliationFailed",
                messageContains: "ConfigMap/\(h.namespace)/x is managed by Kustomization \(h.namespace)/a")
            #expect(
                refused?.status.conditions.find(ConditionType.ready)?.message.contains(WellKnown.takeoverKey) == true)
            #expect(try await Self.owner(h, "x") == ("a", "a"), "the object is left as its owner applied it")
            #expect(refused?.status.inventory?.entries.isEmpty ?? true)

            // The manifest asks for the takeover: b owns x now.
            try await h.setSource(
                "repo-b",
                artifact: try h.publish(
                    ["deploy/x.yaml": Self.configMap("x", value: "b", takeover: true)], name: "b2",
                    revision: H.revision("3")))
            try await h.waitForReady(
                "b", status: .true, reason: "ReconciliationSucceeded", messageContains: H.revision("3"))
            #expect(try await Self.owner(h, "x") == ("b", "b"))

            // a drops x from its source: its prune leaves the object b owns.
            try await h.setSource(
                "repo-a",
                artifact: try h.publish(
                    ["deploy/y.yaml": Self.configMap("y", value: "a")], name: "a2", revision: H.revision("4")))
            let a = try await h.waitForReady(
                "a", status: .true, reason: "ReconciliationSucceeded", messageContains: H.revision("4"))
            #expect(a?.status.inventory?.entries.map(\.id) == ["\(h.namespace)_y__ConfigMap"])
            #expect(try await Self.owner(h, "x") == ("b", "b"), "never pruned by its previous owner")
        }
    }

    @Test("an object whose Kustomization was deleted with deletionPolicy Orphan is adopted without a takeover")
    func orphanAdopted() async throws {
        try await H.run { h in
            try await h.setSource(
                "repo",
                artifact: try h.publish(
                    ["deploy/x.yaml": Self.configMap("x", value: "1")], name: "o1", revision: H.revision("1")))
            try await h.createKustomization("old", source: "repo") { $0.deletionPolicy = .orphan }
            try await h.waitForReady("old", status: .true, reason: "ReconciliationSucceeded")
            _ = try await h.client.delete(Kustomization.groupVersionResource, namespace: h.namespace, name: "old")
            try await h.eventually("old gone") { try await h.kustomization("old") == nil }
            #expect(try await Self.owner(h, "x") == ("old", "1"))

            try await h.createKustomization("new", source: "repo")
            try await h.waitForReady("new", status: .true, reason: "ReconciliationSucceeded")
            #expect(try await Self.owner(h, "x") == ("new", "1"))
        }
    }

    @Test("a tenant cannot take over another namespace's Kustomization's object, even asking for a takeover")
    func tenantCannotTakeOverPlatformObjects() async throws {
        try await H.run { h in
            try await T.grantDeployer(h, verbs: ["get", "list", "watch", "create", "update", "patch", "delete"])
            let platform = try await T.otherNamespace(h)
            try await h.setSource(
                "repo-platform",
                artifact: try h.publish(
                    ["deploy/limits.yaml": Self.configMap("limits", value: "platform", namespace: h.namespace)],
                    name: "p1", revision: H.revision("1")))
            // The platform's Kustomization lives in its own namespace and acts as the controller.
            var spec = KustomizationSpec(
                sourceRef: CrossNamespaceSourceReference(name: "repo-platform", namespace: h.namespace),
                interval: .minutes(60), prune: true, path: "./deploy")
            spec.retryInterval = .seconds(1)
            _ = try await h.client.create(
                Kustomization.groupVersionResource, namespace: platform,
                try Kustomization(metadata: ObjectMeta(name: "platform", namespace: platform), spec: spec).json())
            try await h.eventually("the platform's ConfigMap applied") {
                try await Self.owner(h, "limits") == ("platform", "platform")
            }

            try await h.setSource(
                "repo-tenant",
                artifact: try h.publish(
                    ["deploy/limits.yaml": Self.configMap("limits", value: "tenant", takeover: true)], name: "t1",
                    revision: H.revision("2")))
            try await h.createKustomization("tenant", source: "repo-tenant") { spec in
                spec.serviceAccountName = "deployer"
                spec.retryInterval = .seconds(1)
            }
            let ks = try await h.waitForReady(
                "tenant", status: .false, reason: "ReconciliationFailed",
                messageContains: "is managed by Kustomization \(platform)/platform")
            let message = ks?.status.conditions.find(ConditionType.ready)?.message ?? ""
            #expect(message.contains("only from Kustomizations in its own namespace"), "\(message)")
            #expect(try await Self.owner(h, "limits") == ("platform", "platform"))
        }
    }
}
