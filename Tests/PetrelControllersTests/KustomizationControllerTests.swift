import Foundation
import KubeClient
import KubeCore
import Logging
import PetrelAPI
import Testing

@testable import PetrelControllers

/// The Kustomization controller against a real LocalAPIServer, with artifacts served by a real HTTP server.
@Suite("Kustomization controller", .serialized)
struct KustomizationControllerTests {
    typealias H = KustomizationHarness

    @Test(
        "create, update, drift, prune, invalid YAML, suspend and resume, then deletion prunes the inventory")
    func lifecycle() async throws {
        try await H.run { h in
            let first = try h.publish(
                [
                    "deploy/a.yaml": H.configMapYAML("a", ["v": "1"]),
                    "deploy/b.yaml": H.configMapYAML("b", ["v": "1"]),
                ], name: "rev1", revision: H.revision("1"))
            try await h.setSource("repo", artifact: first)
            try await h.createKustomization("app", source: "repo")

            // Create: both objects applied with owner labels, Ready=True, inventory.
            var ks = try await h.waitForReady(
                "app", status: .true, reason: "ReconciliationSucceeded", messageContains: H.revision("1"))
            #expect(ks?.status.conditions.find(ConditionType.ready)?.message == "Applied revision: \(H.revision("1"))")
            #expect(ks?.status.lastAppliedRevision == H.revision("1"))
            #expect(ks?.status.lastAttemptedRevision == H.revision("1"))
            #expect(ks?.status.observedGeneration == ks?.metadata.generation)
            #expect(ks?.metadata.finalizers == [WellKnown.finalizer])
            #expect(
                Set(ks?.status.inventory?.entries.map(\.id) ?? [])
                    == ["\(h.namespace)_a__ConfigMap", "\(h.namespace)_b__ConfigMap"])
            let a = try await h.configMap("a")
            #expect(a?[path: ["data", "v"]] == "1")
            #expect(a?[path: ["metadata", "labels", WellKnown.kustomizeNameLabel]] == "app")
            #expect(a?[path: ["metadata", "labels", WellKnown.kustomizeNamespaceLabel]] == .string(h.namespace))
            #expect(
                h.events.all.contains {
                    $0.type == .normal && $0.message.contains("ConfigMap/\(h.namespace)/a created")
                })

            // New revision: a changes, b leaves the source and is pruned.
            let second = try h.publish(
                ["deploy/a.yaml": H.configMapYAML("a", ["v": "2"])], name: "rev2", revision: H.revision("2"))
            try await h.setSource("repo", artifact: second)
            ks = try await h.waitForReady(
                "app", status: .true, reason: "ReconciliationSucceeded", messageContains: H.revision("2"))
            #expect(try await h.configMap("a")?[path: ["data", "v"]] == "2")
            #expect(try await h.configMap("b") == nil)
            #expect(ks?.status.inventory?.entries.map(\.id) == ["\(h.namespace)_a__ConfigMap"])

            // Drift: a hand edit is reverted on the next reconcile (asked for through requestedAt).
            _ = try await h.client.patch(
                H.configMaps, namespace: h.namespace, name: "a", .merge(["data": ["v": "edited"]]))
            try await h.patchKustomization(
                "app", ["metadata": ["annotations": [WellKnown.reconcileRequestedAtAnnotation: "token-1"]]])
            try await h.eventually("drift corrected") {
                let restored = try await h.configMap("a")?[path: ["data", "v"]] == "2"
                let handled = try await h.kustomization("app")?.status.lastHandledReconcileAt == "token-1"
                return restored && handled
            }

            // Invalid YAML: Ready=False naming the file; objects and inventory stay.
            let broken = try h.publish(
                ["deploy/a.yaml": H.configMapYAML("a", ["v": "3"]), "deploy/broken.yaml": "kind: [unclosed\n  : :"],
                name: "rev3", revision: H.revision("3"))
            try await h.setSource("repo", artifact: broken)
            ks = try await h.waitForReady("app", status: .false, reason: "BuildFailed", messageContains: "broken.yaml")
            #expect(ks?.status.lastAttemptedRevision == H.revision("3"))
            #expect(ks?.status.lastAppliedRevision == H.revision("2"))
            #expect(ks?.status.inventory?.entries.map(\.id) == ["\(h.namespace)_a__ConfigMap"])
            #expect(try await h.configMap("a")?[path: ["data", "v"]] == "2")
            #expect(h.events.all.contains { $0.type == .warning && $0.reason == "BuildFailed" })

            // Suspend: a new revision is not applied until resumed.
            try await h.patchKustomization("app", ["spec": ["suspend": true]])
            try await h.waitUntilCached("app", "suspend: true") { $0.spec.suspend == true }
            let fourth = try h.publish(
                ["deploy/a.yaml": H.configMapYAML("a", ["v": "4"]), "deploy/c.yaml": H.configMapYAML("c", ["v": "4"])],
                name: "rev4", revision: H.revision("4"))
            try await h.setSource("repo", artifact: fourth)
            try await Task.sleep(for: .seconds(2))
            #expect(try await h.configMap("c") == nil)
            #expect(try await h.configMap("a")?[path: ["data", "v"]] == "2")
            try await h.patchKustomization("app", ["spec": ["suspend": false]])
            ks = try await h.waitForReady(
                "app", status: .true, reason: "ReconciliationSucceeded", messageContains: H.revision("4"))
            #expect(try await h.configMap("c")?[path: ["data", "v"]] == "4")
            #expect(ks?.status.inventory?.entries.count == 2)

            // Deletion: the inventory is pruned, then the finalizer released.
            _ = try await h.client.delete(Kustomization.groupVersionResource, namespace: h.namespace, name: "app")
            try await h.eventually("objects pruned and Kustomization gone") {
                let a = try await h.configMap("a")
                let c = try await h.configMap("c")
                let ks = try await h.kustomization("app")
                return a == nil && c == nil && ks == nil
            }
        }
    }

    @Test("a digest that is not sha256:<64 lowercase hex> fails with ArtifactFailed before any download (S21)")
    func malformedDigest() async throws {
        try await H.run { h in
            var artifact = try h.publish(
                ["deploy/a.yaml": H.configMapYAML("a", ["v": "1"])], name: "rev1", revision: H.revision("1"))
            // Accepted by the CRD's pattern, and the same cache folder name as the real digest had.
            artifact.digest = artifact.digest.replacingOccurrences(of: "sha256:", with: "sha256-x:")
            try await h.setSource("repo", artifact: artifact)
            try await h.createKustomization("app", source: "repo")
            let ks = try await h.waitForReady(
                "app", status: .false, reason: "ArtifactFailed", messageContains: "invalid artifact digest")
            #expect(ks?.status.inventory == nil)
            #expect(try await h.configMap("a") == nil)
        }
    }

    @Test("a digest mismatch fails with ArtifactFailed and applies nothing")
    func digestMismatch() async throws {
        try await H.run { h in
            var artifact = try h.publish(
                ["deploy/a.yaml": H.configMapYAML("a", ["v": "1"])], name: "rev1", revision: H.revision("1"))
            artifact.digest = "sha256:" + String(repeating: "0", count: 64)
            try await h.setSource("repo", artifact: artifact)
            try await h.createKustomization("app", source: "repo")
            let ks = try await h.waitForReady(
                "app", status: .false, reason: "ArtifactFailed", messageContains: "does not match")
            #expect(ks?.status.inventory == nil)
            #expect(try await h.configMap("a") == nil)
        }
    }

    @Test("dependsOn: the dependent waits with DependencyNotReady, then follows as soon as its dependency is Ready")
    func dependsOn() async throws {
        // A long requeue-dependency: the dependent can only become ready in time through the dependency watch.
        try await H.run(requeueDependency: .seconds(60)) { h in
            let artifact = try h.publish(
                [
                    "first/a.yaml": H.configMapYAML("first", ["v": "1"]),
                    "second/b.yaml": H.configMapYAML("second", ["v": "1"]),
                ],
                name: "rev1", revision: H.revision("1"))
            try await h.setSource("repo", artifact: artifact)
            try await h.createKustomization("second", source: "repo", path: "./second") {
                $0.dependsOn = [DependencyReference(name: "first")]
            }
            try await h.waitForReady("second", status: .false, reason: "DependencyNotReady", messageContains: "first")
            #expect(try await h.configMap("second") == nil)
            try await h.createKustomization("first", source: "repo", path: "./first")
            try await h.waitForReady("first", status: .true, reason: "ReconciliationSucceeded")
            try await h.waitForReady("second", status: .true, reason: "ReconciliationSucceeded")
            #expect(try await h.configMap("second") != nil)
        }
    }

    @Test("postBuild substitutes variables from a ConfigMap, a Secret and inline values")
    func substitution() async throws {
        try await H.run { h in
            _ = try await h.client.create(
                H.configMaps, namespace: h.namespace,
                [
                    "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "vars"],
                    "data": ["color": "blue", "size": "small"],
                ])
            _ = try await h.client.create(
                H.secrets, namespace: h.namespace,
                [
                    "apiVersion": "v1", "kind": "Secret", "metadata": ["name": "creds"],
                    "data": ["password": .string(Data("s3cret".utf8).base64EncodedString())],
                ])
            let artifact = try h.publish(
                [
                    "deploy/a.yaml": H.configMapYAML(
                        "settings",
                        ["color": "${color}", "size": "${size}", "password": "${password}", "region": "${region:=eu}"])
                ], name: "rev1", revision: H.revision("1"))
            try await h.setSource("repo", artifact: artifact)
            try await h.createKustomization("app", source: "repo") {
                $0.postBuild = PostBuild(
                    substitute: ["size": "large"],
                    substituteFrom: [
                        SubstituteReference(kind: .configMap, name: "vars"),
                        SubstituteReference(kind: .secret, name: "creds"),
                        SubstituteReference(kind: .configMap, name: "absent", optional: true),
                    ])
            }
            try await h.waitForReady("app", status: .true, reason: "ReconciliationSucceeded")
            let settings = try await h.configMap("settings")
            #expect(settings?["data"] == ["color": "blue", "password": "s3cret", "region": "eu", "size": "large"])
        }
    }

    @Test("a set the server rejects in the dry-run applies nothing and keeps the previous objects and inventory")
    func dryRunRejected() async throws {
        try await H.run { h in
            let good = try h.publish(
                ["deploy/a.yaml": H.configMapYAML("a", ["v": "1"])], name: "rev1", revision: H.revision("1"))
            try await h.setSource("repo", artifact: good)
            try await h.createKustomization("app", source: "repo")
            try await h.waitForReady("app", status: .true, reason: "ReconciliationSucceeded")
            let widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"
            let bad = try h.publish(
                [
                    "deploy/a.yaml": H.configMapYAML("a", ["v": "2"]),
                    "deploy/b.yaml": H.configMapYAML("b", ["v": "2"]),
                    "deploy/widget.yaml": widget,
                ], name: "rev2", revision: H.revision("2"))
            try await h.setSource("repo", artifact: bad)
            let ks = try await h.waitForReady(
                "app", status: .false, reason: "ReconciliationFailed", messageContains: "Widget")
            #expect(ks?.status.lastAppliedRevision == H.revision("1"))
            #expect(ks?.status.inventory?.entries.map(\.id) == ["\(h.namespace)_a__ConfigMap"])
            #expect(ks?.status.conditions.find(ConditionType.reconciling)?.reason == "ProgressingWithRetry")
            #expect(try await h.configMap("a")?[path: ["data", "v"]] == "1")
            #expect(try await h.configMap("b") == nil)
        }
    }

    @Test("wait: true sets Healthy=True; deletionPolicy Orphan keeps the objects when the Kustomization goes")
    func healthAndOrphan() async throws {
        try await H.run { h in
            let artifact = try h.publish(
                ["deploy/a.yaml": H.configMapYAML("a", ["v": "1"])], name: "rev1", revision: H.revision("1"))
            try await h.setSource("repo", artifact: artifact)
            try await h.createKustomization("app", source: "repo") {
                $0.wait = true
                $0.deletionPolicy = .orphan
            }
            let ks = try await h.waitForReady("app", status: .true, reason: "ReconciliationSucceeded")
            #expect(ks?.status.conditions.find(ConditionType.healthy)?.status == .true)
            _ = try await h.client.delete(Kustomization.groupVersionResource, namespace: h.namespace, name: "app")
            try await h.eventually("Kustomization gone") { try await h.kustomization("app") == nil }
            #expect(try await h.configMap("a") != nil)
        }
    }

    @Test("with --no-cross-namespace-refs a source in another namespace stalls the Kustomization with AccessDenied")
    func crossNamespaceRefused() async throws {
        try await H.run(noCrossNamespaceRefs: true) { h in
            try await h.createKustomization("app", source: "repo") {
                $0.sourceRef.namespace = "elsewhere"
            }
            let ks = try await h.waitForReady(
                "app", status: .false, reason: "AccessDenied", messageContains: "elsewhere")
            #expect(ks?.status.conditions.find(ConditionType.stalled)?.status == .true)
        }
    }

    @Test("ArtifactFetcher extracts a verified artifact into a folder it removes afterwards; 404 and size bound fail")
    func fetcher() async throws {
        try await H.run { h in
            let artifact = try h.publish(
                ["deploy/a.yaml": H.configMapYAML("a", ["v": "1"])], name: "rev1", revision: H.revision("1"))
            let fetcher = ArtifactFetcher(logger: Logger(label: "test"))
            let folder = try await fetcher.withArtifact(url: artifact.url, digest: artifact.digest) { root in
                #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("deploy/a.yaml").path))
                return root
            }
            #expect(!FileManager.default.fileExists(atPath: folder.path))

            let missing = await #expect(throws: KustomizationError.self) {
                try await fetcher.fetch(
                    url: "\(h.baseURL)/absent.tar.gz", digest: artifact.digest,
                    to: h.served.appendingPathComponent("out.tar.gz"))
            }
            #expect(missing?.reason == "ArtifactFailed")
            #expect(missing?.message.contains("HTTP 404") == true)

            let small = ArtifactFetcher(maxDownloadSize: 10, logger: Logger(label: "test"))
            let tooBig = await #expect(throws: KustomizationError.self) {
                try await small.fetch(
                    url: artifact.url, digest: artifact.digest, to: h.served.appendingPathComponent("out.tar.gz"))
            }
            #expect(tooBig?.message.contains("larger than the 10-byte limit") == true)
        }
    }
}
