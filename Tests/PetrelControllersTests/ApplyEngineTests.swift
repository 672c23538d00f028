import Foundation
import KubeClient
import KubeCore
import LocalAPIServer
import Logging
@testable import PetrelControllers
import Testing

@Suite("Apply engine against the local API server")
struct ApplyEngineTests {
    static let owner = ["kustomize.petrel.dev/name": "apps", "kustomize.petrel.dev/namespace": "petrel-system"]

    @Test("first apply creates; an identical apply is unchanged and writes nothing; a change is configured")
    func createUnchangedConfigured() async throws {
        try await withApplyEngine { engine, client in
            let options = ApplyOptions(labels: Self.owner)
            var set = [
                Manifests.deployment("web", namespace: "apps"), Manifests.configMap("cfg", namespace: "apps"),
                Manifests.namespace("apps"),
            ]
            try await engine.validate(set, options: options)
            let first = try await engine.apply(set, options: options)
            #expect(actions(first) == ["Namespace/apps created", "ConfigMap/apps/cfg created", "Deployment/apps/web created"])
            let live = try await client.get(Manifests.deployments, namespace: "apps", name: "web")
            #expect(live.kube.labels["kustomize.petrel.dev/name"] == "apps")
            #expect(live[path: ["metadata", "managedFields"]]?.arrayValue?.first?["manager"] == "petrel")

            let before = try await client.list(Manifests.configMaps).resourceVersion
            let versions = try await [
                client.get(Manifests.namespaces, name: "apps").kube.resourceVersion,
                client.get(Manifests.configMaps, namespace: "apps", name: "cfg").kube.resourceVersion,
                live.kube.resourceVersion,
            ]
            let second = try await engine.apply(set, options: options)
            #expect(actions(second) == ["Namespace/apps unchanged", "ConfigMap/apps/cfg unchanged", "Deployment/apps/web unchanged"])
            let after = try await client.list(Manifests.configMaps).resourceVersion
            #expect(before == after, "an unchanged apply must not write anything")
            let versionsAfter = try await [
                client.get(Manifests.namespaces, name: "apps").kube.resourceVersion,
                client.get(Manifests.configMaps, namespace: "apps", name: "cfg").kube.resourceVersion,
                client.get(Manifests.deployments, namespace: "apps", name: "web").kube.resourceVersion,
            ]
            #expect(versions == versionsAfter)

            set[1] = Manifests.configMap("cfg", namespace: "apps", data: ["k": "changed"])
            set[0] = Manifests.deployment("web", namespace: "apps", replicas: 3)
            let third = try await engine.apply(set, options: options)
            #expect(actions(third) == ["Namespace/apps unchanged", "ConfigMap/apps/cfg configured", "Deployment/apps/web configured"])
            let changed = try await client.get(Manifests.configMaps, namespace: "apps", name: "cfg")
            #expect(changed["data"] == ["k": "changed"])
            #expect(try await client.get(Manifests.deployments, namespace: "apps", name: "web")[path: ["spec", "replicas"]] == 3)
        }
    }

    @Test("a field removed from the manifest is drift: configured, and the field is gone")
    func removedField() async throws {
        try await withApplyEngine { engine, client in
            _ = try await engine.apply([Manifests.configMap("cfg", data: ["a": "1", "b": "2"])], options: ApplyOptions())
            let result = try await engine.apply([Manifests.configMap("cfg", data: ["a": "1"])], options: ApplyOptions())
            #expect(actions(result) == ["ConfigMap/default/cfg configured"])
            #expect(try await client.get(Manifests.configMaps, namespace: "default", name: "cfg")["data"] == ["a": "1"])
        }
    }

    @Test("a namespaced object without a namespace fails validation naming it, as in Flux; nothing is applied")
    func missingNamespace() async throws {
        try await withApplyEngine { engine, client in
            let set = [Manifests.configMap("cfg", namespace: "default"), Manifests.configMap("plain", namespace: nil)]
            let error = await #expect(throws: ApplyError.self) { try await engine.validate(set, options: ApplyOptions()) }
            guard case .validationFailed(let failures) = error else {
                Issue.record("expected validationFailed, got \(String(describing: error))")
                return
            }
            #expect(failures.map(\.id?.description) == ["ConfigMap/plain"])
            #expect(error?.message.contains("ConfigMap/plain namespace not specified") == true)
            _ = await #expect(throws: ApplyError.self) { try await engine.apply(set, options: ApplyOptions()) }
            let cfg = try await client.getIfPresent(Manifests.configMaps, namespace: "default", name: "cfg")
            let plain = try await client.getIfPresent(Manifests.configMaps, namespace: "default", name: "plain")
            #expect(cfg == nil && plain == nil, "nothing of a set that fails validation is applied")
        }
    }

    @Test("a CRD, its Namespace and a custom resource of it apply in one set; validation defers the custom resource")
    func crdAndCustomResource() async throws {
        try await withApplyEngine { engine, client in
            let set = [Manifests.widget("w", namespace: "team", size: 3), Manifests.namespace("team"), Manifests.widgetCRD]
            try await engine.validate(set, options: ApplyOptions())
            let result = try await engine.apply(set, options: ApplyOptions())
            #expect(actions(result) == [
                "CustomResourceDefinition/widgets.example.com created", "Namespace/team created", "Widget/team/w created",
            ])
            let widgets = GroupVersionResource(group: "example.com", version: "v1", resource: "widgets")
            #expect(try await client.get(widgets, namespace: "team", name: "w")[path: ["spec", "size"]] == 3)
            let again = try await engine.apply(set, options: ApplyOptions())
            #expect(again.allSatisfy { $0.action == .unchanged })
        }
    }

    @Test("many objects are dry-run concurrently and reported in kind and name order")
    func manyObjects() async throws {
        try await withApplyEngine { engine, client in
            let names = (0..<13).map { "cm-\(String(format: "%02d", $0))" }
            let set = names.shuffled().map { Manifests.configMap($0) } + [Manifests.deployment("web")]
            let result = try await engine.apply(set, options: ApplyOptions())
            #expect(actions(result) == names.map { "ConfigMap/default/\($0) created" } + ["Deployment/default/web created"])
            let listed = try await client.list(Manifests.configMaps, namespace: "default").items.count
            #expect(listed == names.count)
        }
    }

    @Test("a CRD's conversion webhook caBundle is not applied")
    func crdCABundle() async throws {
        try await withApplyEngine { engine, client in
            var crd = Manifests.widgetCRD
            crd.set(
                path: ["spec", "conversion"],
                to: [
                    "strategy": "Webhook",
                    "webhook": [
                        "conversionReviewVersions": ["v1"],
                        "clientConfig": ["url": "https://convert.example.com", "caBundle": "Zm9v"],
                    ],
                ])
            _ = try await engine.apply([crd], options: ApplyOptions())
            let live = try await client.get(
                GroupVersionResource(group: "apiextensions.k8s.io", version: "v1", resource: "customresourcedefinitions"),
                name: "widgets.example.com")
            #expect(live[path: ["spec", "conversion", "webhook", "clientConfig", "url"]] == "https://convert.example.com")
            #expect(live[path: ["spec", "conversion", "webhook", "clientConfig", "caBundle"]] == nil)
        }
    }

    @Test("a Deployment with a wrongly typed field fails validation naming object and field; nothing is applied")
    func invalidDeployment() async throws {
        try await withApplyEngine { engine, client in
            let set = [Manifests.configMap("cfg"), Manifests.deployment("web", replicas: "two")]
            let error = await #expect(throws: ApplyError.self) { try await engine.validate(set, options: ApplyOptions()) }
            guard case .validationFailed(let failures) = error else {
                Issue.record("expected validationFailed, got \(String(describing: error))")
                return
            }
            #expect(failures.map(\.id?.description) == ["Deployment/default/web"])
            #expect(error?.message.contains("Deployment/default/web dry-run failed") == true)
            #expect(error?.message.contains("spec.replicas") == true)
            #expect(error?.reason == "ReconciliationFailed")
            let applyError = await #expect(throws: ApplyError.self) { try await engine.apply(set, options: ApplyOptions()) }
            #expect(applyError?.objects.map(\.description) == ["Deployment/default/web"])
            let configMap = try await client.getIfPresent(Manifests.configMaps, namespace: "default", name: "cfg")
            let deployment = try await client.getIfPresent(Manifests.deployments, namespace: "default", name: "web")
            #expect(configMap == nil && deployment == nil)
        }
    }

    @Test("a custom resource violating its CRD's schema fails validation naming it; nothing is applied")
    func invalidCustomResource() async throws {
        try await withApplyEngine { engine, client in
            _ = try await engine.apply([Manifests.widgetCRD], options: ApplyOptions())
            let set = [Manifests.configMap("cfg"), Manifests.widget("w", namespace: "default", size: "big")]
            let error = await #expect(throws: ApplyError.self) { try await engine.validate(set, options: ApplyOptions()) }
            #expect(error?.message.contains("Widget/default/w dry-run failed (Invalid)") == true)
            #expect(error?.message.contains("spec.size") == true)
            #expect(try await client.getIfPresent(Manifests.configMaps, namespace: "default", name: "cfg") == nil)
        }
    }

    @Test("an unknown kind fails validation saying the CRD may be missing")
    func unknownKind() async throws {
        try await withApplyEngine { engine, _ in
            let error = await #expect(throws: ApplyError.self) {
                try await engine.validate([Manifests.widget("w", namespace: "default", size: 1)], options: ApplyOptions())
            }
            #expect(error?.message.contains("Widget/default/w no matches for kind \"Widget\"") == true)
        }
    }

    @Test("a manifest without a name is rejected before anything is sent")
    func invalidManifest() async throws {
        try await withApplyEngine { engine, _ in
            let error = await #expect(throws: ApplyError.self) {
                try await engine.apply([["apiVersion": "v1", "kind": "ConfigMap", "metadata": [:]]], options: ApplyOptions())
            }
            guard case .invalidManifest = error else {
                Issue.record("expected invalidManifest, got \(String(describing: error))")
                return
            }
        }
    }
}
