import Foundation
import KubeClient
import KubeCore
import LocalAPIServer
import Logging
@testable import PetrelControllers
import Testing

/// The apply engine's fast path (one dry-run per object, owner-label LIST instead of a GET each, concurrent
/// writes): the same outcomes as the plain path.
@Suite("Apply engine at scale: validateAndApply with listed live objects")
struct ApplyScaleTests {
    static let owner = ["kustomize.petrel.dev/name": "apps", "kustomize.petrel.dev/namespace": "petrel-system"]

    static func set(_ count: Int, value: String = "v") -> [JSONValue] {
        (0..<count).map { Manifests.configMap("cm-\($0)", data: ["k": .string(value)]) }
    }

    @Test("creates a set, then finds it unchanged without writing, then configures only what drifted")
    func createUnchangedDrift() async throws {
        try await withApplyEngine { engine, client in
            let options = ApplyOptions(labels: Self.owner)
            let first = try await engine.validateAndApply(Self.set(12), options: options)
            #expect(first.count == 12)
            #expect(first.allSatisfy { $0.action == .created })
            #expect(actions(first).first == "ConfigMap/default/cm-0 created")
            let live = try await client.get(Manifests.configMaps, namespace: "default", name: "cm-7")
            #expect(live.kube.labels["kustomize.petrel.dev/name"] == "apps")

            let before = try await client.list(Manifests.configMaps).resourceVersion
            let second = try await engine.validateAndApply(Self.set(12), options: options)
            #expect(second.allSatisfy { $0.action == .unchanged })
            #expect(try await client.list(Manifests.configMaps).resourceVersion == before, "nothing may be written")

            // A hand edit of one object (another manager) is drift: only that object is configured.
            _ = try await client.patch(
                Manifests.configMaps, namespace: "default", name: "cm-3", .merge(["data": ["k": "edited"]]),
                options: QueryOptions(fieldManager: "kubectl-edit"))
            let third = try await engine.validateAndApply(Self.set(12), options: options)
            #expect(third.filter { $0.action != .unchanged }.map(\.description) == ["ConfigMap/default/cm-3 configured"])
            let restored = try await client.get(Manifests.configMaps, namespace: "default", name: "cm-3")
            #expect(restored["data"] == ["k": "v"])
        }
    }

    @Test("an existing object without the owner labels is configured, not created; IfNotPresent ones are skipped")
    func unlabelledExisting() async throws {
        try await withApplyEngine { engine, client in
            _ = try await client.apply(
                Manifests.configMaps, namespace: "default", Manifests.configMap("cm-1", data: ["k": "old"]),
                fieldManager: "someone")
            _ = try await client.apply(
                Manifests.configMaps, namespace: "default", Manifests.configMap("keep", data: ["k": "theirs"]),
                fieldManager: "someone")
            var set = Self.set(3)
            set.append(
                Manifests.configMap(
                    "keep", data: ["k": "ours"], annotations: ["kustomize.petrel.dev/ssa": "IfNotPresent"]))
            let result = try await engine.validateAndApply(set, options: ApplyOptions(labels: Self.owner))
            #expect(
                actions(result) == [
                    "ConfigMap/default/cm-0 created", "ConfigMap/default/cm-1 configured",
                    "ConfigMap/default/cm-2 created", "ConfigMap/default/keep skipped",
                ])
            let taken = try await client.get(Manifests.configMaps, namespace: "default", name: "cm-1")
            #expect(taken["data"] == ["k": "v"])
            #expect(taken.kube.labels["kustomize.petrel.dev/name"] == "apps")
            let kept = try await client.get(Manifests.configMaps, namespace: "default", name: "keep")
            #expect(kept["data"] == ["k": "theirs"])
        }
    }

    @Test("one invalid object in a large set: validation fails naming it and nothing at all is written")
    func invalidMemberWritesNothing() async throws {
        try await withApplyEngine { engine, client in
            var set = Self.set(10)
            set.append(Manifests.deployment("web", replicas: "two"))
            let error = await #expect(throws: ApplyError.self) {
                try await engine.validateAndApply(set, options: ApplyOptions(labels: Self.owner))
            }
            guard case .validationFailed(let failures) = error else {
                Issue.record("expected validationFailed, got \(String(describing: error))")
                return
            }
            #expect(failures.map(\.id?.description) == ["Deployment/default/web"])
            #expect(error?.message.contains("spec.replicas") == true)
            let written = try await client.list(Manifests.configMaps, namespace: "default").items
            #expect(written.isEmpty)
        }
    }

    @Test("a CRD, its custom resources and their Namespace in one set: staged, the deferred ones dry-run in their stage")
    func crdAndResourcesInOneSet() async throws {
        try await withApplyEngine { engine, client in
            let set = [
                Manifests.widget("a", namespace: "shop", size: 1), Manifests.widget("b", namespace: "shop", size: 2),
                Manifests.widgetCRD, Manifests.namespace("shop"), Manifests.configMap("cfg", namespace: "shop"),
            ]
            let options = ApplyOptions(labels: Self.owner)
            let first = try await engine.validateAndApply(set, options: options)
            #expect(
                actions(first) == [
                    "CustomResourceDefinition/widgets.example.com created", "Namespace/shop created",
                    "ConfigMap/shop/cfg created", "Widget/shop/a created", "Widget/shop/b created",
                ])
            let widgets = GroupVersionResource(group: "example.com", version: "v1", resource: "widgets")
            #expect(try await client.get(widgets, namespace: "shop", name: "b")[path: ["spec", "size"]] == 2)
            let second = try await engine.validateAndApply(set, options: options)
            #expect(second.allSatisfy { $0.action == .unchanged })
        }
    }

    @Test("writes of one kind run concurrently but results keep apply order")
    func executeOrder() async throws {
        try await withApplyEngine { engine, client in
            var set = Self.set(9)
            set.append(Manifests.deployment("web"))
            set.append(Manifests.service("web", clusterIP: "10.0.0.10"))
            let result = try await engine.validateAndApply(set, options: ApplyOptions(labels: Self.owner))
            #expect(result.map(\.id.kind) == Array(repeating: "ConfigMap", count: 9) + ["Service", "Deployment"])
            #expect(result.allSatisfy { $0.action == .created })
            #expect(result.filter { $0.id.kind == "ConfigMap" }.map(\.id.name) == (0..<9).map { "cm-\($0)" })
            let listed = try await client.list(Manifests.configMaps, namespace: "default").items
            #expect(listed.count == 9)
        }
    }
}
