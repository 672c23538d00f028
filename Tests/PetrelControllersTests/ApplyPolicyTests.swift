import KubeClient
import KubeCore
import LocalAPIServer
import Logging
@testable import PetrelControllers
import Testing

@Suite("Apply engine: prune, per-object policies and forced recreation")
struct ApplyPolicyTests {
    @Test("prune deletes stale objects, skips prune-disabled ones and ignores those already gone")
    func prune() async throws {
        try await withApplyEngine { engine, client in
            let set = [
                Manifests.configMap("stale"),
                Manifests.configMap("kept", annotations: ["kustomize.petrel.dev/prune": "disabled"]),
                Manifests.namespace("old"), Manifests.configMap("inside", namespace: "old"),
            ]
            let applied = try await engine.apply(set, options: ApplyOptions())
            var stale = applied.map(\.id)
            stale.append(ResourceID(group: "", version: "v1", kind: "ConfigMap", namespace: "default", name: "never-existed"))
            let result = try await engine.prune(stale)
            #expect(actions(result) == [
                "ConfigMap/old/inside deleted", "ConfigMap/default/stale deleted", "ConfigMap/default/kept skipped",
                "Namespace/old deleted",
            ])
            #expect(try await client.getIfPresent(Manifests.configMaps, namespace: "default", name: "stale") == nil)
            #expect(try await client.getIfPresent(Manifests.configMaps, namespace: "default", name: "kept") != nil)
            #expect(try await client.getIfPresent(Manifests.namespaces, namespace: nil, name: "old")?.kube.isBeingDeleted ?? true)
            let again = try await engine.prune(stale)
            #expect(actions(again) == ["ConfigMap/default/kept skipped"])
        }
    }

    @Test("prune and health find an object whose inventory version is no longer served through another version")
    func unservedVersion() async throws {
        try await withApplyEngine { engine, client in
            _ = try await engine.apply([Manifests.configMap("old-version")], options: ApplyOptions())
            let id = ResourceID(group: "", version: "v1beta9", kind: "ConfigMap", namespace: "default", name: "old-version")
            try await engine.waitForHealth([id], timeout: .seconds(60))
            let result = try await engine.prune([id])
            #expect(actions(result) == ["ConfigMap/default/old-version deleted"])
            #expect(try await client.getIfPresent(Manifests.configMaps, namespace: "default", name: "old-version") == nil)
            let unknown = ResourceID(group: "example.com", version: "v1", kind: "Gadget", namespace: "default", name: "g")
            #expect(try await engine.prune([unknown]).isEmpty)
        }
    }

    @Test("fields kubectl added are removed by the next apply unless the object says ssa: Merge")
    func driftCorrection() async throws {
        try await withApplyEngine { engine, client in
            let set = [
                Manifests.configMap("edited"),
                Manifests.configMap("merged", annotations: ["kustomize.petrel.dev/ssa": "Merge"]),
            ]
            _ = try await engine.apply(set, options: ApplyOptions())
            for name in ["edited", "merged"] {
                _ = try await client.patch(
                    Manifests.configMaps, namespace: "default", name: name, .merge(["data": ["extra": "kubectl"]]),
                    options: QueryOptions(fieldManager: "kubectl-edit"))
            }
            let result = try await engine.apply(set, options: ApplyOptions())
            #expect(actions(result) == ["ConfigMap/default/edited configured", "ConfigMap/default/merged unchanged"])
            let edited = try await client.get(Manifests.configMaps, namespace: "default", name: "edited")
            #expect(edited["data"] == ["k": "v"])
            #expect(edited[path: ["metadata", "managedFields"]]?.arrayValue?.compactMap { $0["manager"]?.stringValue } == ["petrel"])
            let merged = try await client.get(Manifests.configMaps, namespace: "default", name: "merged")
            #expect(merged["data"] == ["k": "v", "extra": "kubectl"])
            let again = try await engine.apply(set, options: ApplyOptions())
            #expect(again.allSatisfy { $0.action == .unchanged })
        }
    }

    @Test("prune with owner labels skips objects no longer labelled as owned")
    func pruneRequiresOwnerLabels() async throws {
        try await withApplyEngine { engine, client in
            let owner = ["kustomize.petrel.dev/name": "a"]
            let applied = try await engine.apply([Manifests.configMap("mine")], options: ApplyOptions(labels: owner))
            _ = try await engine.apply([Manifests.configMap("theirs")], options: ApplyOptions(labels: ["kustomize.petrel.dev/name": "b"]))
            let theirs = ResourceID(group: "", version: "v1", kind: "ConfigMap", namespace: "default", name: "theirs")
            let result = try await engine.prune(applied.map(\.id) + [theirs], requiringLabels: owner)
            #expect(actions(result) == ["ConfigMap/default/theirs skipped", "ConfigMap/default/mine deleted"])
            #expect(try await client.getIfPresent(Manifests.configMaps, namespace: "default", name: "theirs") != nil)
        }
    }

    @Test("IfNotPresent objects are created once and then left alone; Ignore objects are never applied")
    func ifNotPresentAndIgnore() async throws {
        try await withApplyEngine { engine, client in
            let ifNotPresent: JSONValue = ["kustomize.petrel.dev/ssa": "IfNotPresent"]
            let ignore: JSONValue = ["kustomize.petrel.dev/ssa": "Ignore"]
            let first = try await engine.apply(
                [Manifests.configMap("once", annotations: ifNotPresent), Manifests.configMap("ignored", annotations: ignore)],
                options: ApplyOptions())
            #expect(actions(first) == ["ConfigMap/default/ignored skipped", "ConfigMap/default/once created"])
            #expect(try await client.getIfPresent(Manifests.configMaps, namespace: "default", name: "ignored") == nil)
            let second = try await engine.apply(
                [Manifests.configMap("once", data: ["k": "new"], annotations: ifNotPresent)], options: ApplyOptions())
            #expect(actions(second) == ["ConfigMap/default/once skipped"])
            #expect(try await client.get(Manifests.configMaps, namespace: "default", name: "once")["data"] == ["k": "v"])
        }
    }

    @Test("an immutable-field change fails without force and recreates the object with the force annotation")
    func forceAnnotation() async throws {
        try await withApplyEngine { engine, client in
            _ = try await engine.apply([Manifests.service("web", clusterIP: "10.0.0.10")], options: ApplyOptions())
            let oldUID = try await client.get(Manifests.services, namespace: "default", name: "web").kube.uid
            let error = await #expect(throws: ApplyError.self) {
                try await engine.apply([Manifests.service("web", clusterIP: "10.0.0.11")], options: ApplyOptions())
            }
            #expect(error?.message.contains("Service/default/web dry-run failed (Invalid)") == true)
            #expect(error?.message.contains("field is immutable") == true)
            let forced = Manifests.service("web", clusterIP: "10.0.0.11", annotations: ["kustomize.petrel.dev/force": "enabled"])
            let result = try await engine.apply([forced], options: ApplyOptions())
            #expect(actions(result) == ["Service/default/web created"])
            let live = try await client.get(Manifests.services, namespace: "default", name: "web")
            #expect(live[path: ["spec", "clusterIP"]] == "10.0.0.11")
            #expect(live.kube.uid != oldUID)
        }
    }

    @Test("options.force recreates a Job whose template changed; validate accepts it")
    func forceOption() async throws {
        try await withApplyEngine { engine, client in
            _ = try await engine.apply([Manifests.job("migrate", command: "true")], options: ApplyOptions())
            let changed = [Manifests.job("migrate", command: "false")]
            try await engine.validate(changed, options: ApplyOptions(force: true))
            let result = try await engine.apply(changed, options: ApplyOptions(force: true))
            #expect(actions(result) == ["Job/default/migrate created"])
            let live = try await client.get(Manifests.jobs, namespace: "default", name: "migrate")
            #expect(live[path: ["spec", "template", "spec", "containers"]]?.arrayValue?.first?["command"] == ["false"])
        }
    }
}
