import Foundation
import KubeClient
import KubeCore
import PetrelAPI
import Testing

@testable import PetrelControllers

/// Builds that a committer or a tenant can make expensive fail with a clear condition naming the Kustomization and
/// the limit, off the cooperative pool, while other Kustomizations keep reconciling.
@Suite("Kustomization build limits", .serialized)
struct KustomizationBuildLimitTests {
    typealias H = KustomizationHarness

    /// `prefix/l0` … `prefix/l<depth>`: each level's `a` and `b` include the next level (2^depth leaves).
    static func doublingTree(_ prefix: String, depth: Int) -> [String: String] {
        var files: [String: String] = [:]
        for level in 0..<depth {
            files["\(prefix)/l\(level)/kustomization.yaml"] = "resources: [a, b]\n"
            for side in ["a", "b"] {
                files["\(prefix)/l\(level)/\(side)/kustomization.yaml"] =
                    "namePrefix: \(side)-\nresources: [../../l\(level + 1)]\n"
            }
        }
        files["\(prefix)/l\(depth)/kustomization.yaml"] = "resources: [cm.yaml]\n"
        files["\(prefix)/l\(depth)/cm.yaml"] = H.configMapYAML("leaf", ["k": "v"])
        return files
    }

    /// A ConfigMap whose data holds collection keys nested 400 deep around 200,000 items (Yams hashed each level's
    /// key whole: about a minute of CPU in a debug build).
    static let nestedKeys: String = {
        var key = "[" + Array(repeating: "ab", count: 200_000).joined(separator: ",") + "]"
        for _ in 0..<400 { key = "{? " + key + " : x}" }
        return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keys\ndata:\n  k: \(key)\n"
    }()

    @Test("exponential bases, nested collection keys and a backtracking patch target fail or pass fast; others apply")
    func hostileBuilds() async throws {
        try await H.run { h in
            var files = Self.doublingTree("fanout", depth: 30)
            files["keys/cm.yaml"] = Self.nestedKeys
            files["redos/objects.yaml"] = (0..<60).map {
                H.configMapYAML(String(repeating: "a", count: 40) + "c\($0)", ["k": "v"])
            }.joined(separator: "---\n")
            files["good/cm.yaml"] = H.configMapYAML("good", ["v": "1"])
            let artifact = try h.publish(files, name: "hostile", revision: H.revision("1"))
            try await h.setSource("repo", artifact: artifact)
            try await h.createKustomization("fanout", source: "repo", path: "./fanout/l0")
            try await h.createKustomization("keys", source: "repo", path: "./keys")
            try await h.createKustomization("redos", source: "repo", path: "./redos") { spec in
                // A tenant's own patch target: ICU spent about 1.5 s per object name on it.
                spec.patches = [
                    PetrelAPI.Patch(
                        patch: "- op: add\n  path: /data/x\n  value: y\n", target: PetrelAPI.Selector(name: "(a|a)+b"))
                ]
            }
            try await h.createKustomization("good", source: "repo", path: "./good")

            // The bounds only catch hangs: a debug build on a loaded machine is slow.
            let fanout = try await h.waitForReady(
                "fanout", status: .false, reason: "BuildFailed",
                messageContains: "kustomize build of Kustomization \(h.namespace)/fanout stopped", timeout: .seconds(120))
            let message = fanout?.status.conditions.find(ConditionType.ready)?.message ?? ""
            // The resource budget, or on a very slow machine the 30 s time limit, whichever comes first.
            #expect(message.contains("100000 resources loaded") || message.contains("30.0 seconds limit"), "\(message)")
            try await h.waitForReady(
                "keys", status: .false, reason: "BuildFailed",
                messageContains: "a mapping or sequence used as a mapping key is not supported", timeout: .seconds(120))
            try await h.waitForReady("redos", status: .true, reason: "ReconciliationSucceeded", timeout: .seconds(120))
            try await h.waitForReady("good", status: .true, reason: "ReconciliationSucceeded", timeout: .seconds(120))
            #expect(try await h.configMap("good")?[path: ["data", "v"]] == "1")
            #expect(h.events.all.contains { $0.object == "fanout" && $0.reason == "BuildFailed" && $0.type == .warning })
        }
    }

    @Test("a build past --build-timeout fails naming the Kustomization and the limit; another applies meanwhile")
    func timeLimit() async throws {
        try await H.run(buildTimeout: .seconds(3)) { h in
            // 20,000 objects in 40 files and 2,000 patches on all of them: far past 3 s, within every size budget.
            var files = ["good/cm.yaml": H.configMapYAML("good", ["v": "1"])]
            for file in 0..<40 {
                files["slow/objects-\(file).yaml"] = (0..<500).map {
                    H.configMapYAML("cm-\(file)-\($0)", ["k": "v"])
                }.joined(separator: "---\n")
            }
            let patches = (0..<2_000).map { index in
                "- target: {kind: ConfigMap}\n  patch: '[{\"op\": \"replace\", \"path\": \"/data/k\", \"value\": \"\(index)\"}]'\n"
            }
            let resources = (0..<40).map { "objects-\($0).yaml" }.joined(separator: ", ")
            files["slow/kustomization.yaml"] = "resources: [\(resources)]\npatches:\n" + patches.joined()
            try await h.setSource("repo", artifact: try h.publish(files, name: "slow", revision: H.revision("1")))
            try await h.createKustomization("slow", source: "repo", path: "./slow") { spec in
                spec.retryInterval = .seconds(1)  // keeps one worker building, again and again
            }
            try await h.createKustomization("good", source: "repo", path: "./good")
            try await h.waitForReady("good", status: .true, reason: "ReconciliationSucceeded", timeout: .seconds(120))

            let slow = try await h.waitForReady(
                "slow", status: .false, reason: "BuildFailed",
                messageContains: "kustomize build of Kustomization \(h.namespace)/slow stopped", timeout: .seconds(120))
            let message = slow?.status.conditions.find(ConditionType.ready)?.message ?? ""
            #expect(message.contains("3.0 seconds limit"), "\(message)")
            #expect(message.contains("--build-timeout"), "\(message)")

            // While the slow one keeps failing (and rebuilding every second), a new revision reaches the good one.
            var next = files
            next["good/cm.yaml"] = H.configMapYAML("good", ["v": "2"])
            try await h.setSource("repo", artifact: try h.publish(next, name: "slow2", revision: H.revision("2")))
            try await h.waitForReady(
                "good", status: .true, reason: "ReconciliationSucceeded", messageContains: H.revision("2"),
                timeout: .seconds(120))
            #expect(try await h.configMap("good")?[path: ["data", "v"]] == "2")
        }
    }
}
