import Foundation
import KubeCore
import Testing

@testable import Kustomize

/// A build as a whole is bounded: resources (a base counted each time it is included), YAML nodes and bytes over
/// all files, and time. Each refusal names where the build was and the limit.
@Suite("Build budgets")
struct BuildBudgetTests {
    /// A tree of `depth` levels where each level's `a` and `b` (different name prefixes) include the next level:
    /// 2^depth copies of the leaf ConfigMap.
    static func doublingTree(depth: Int, in root: URL) throws {
        func write(_ text: String, _ path: String) throws {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        for level in 0..<depth {
            try write("resources: [a, b]\n", "l\(level)/kustomization.yaml")
            for prefix in ["a", "b"] {
                try write("namePrefix: \(prefix)-\nresources: [../../l\(level + 1)]\n", "l\(level)/\(prefix)/kustomization.yaml")
            }
        }
        try write("resources: [cm.yaml]\n", "l\(depth)/kustomization.yaml")
        try write("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaf\ndata:\n  k: v\n", "l\(depth)/cm.yaml")
    }

    func withTree(depth: Int, _ body: (URL) async throws -> Void) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("budget-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try Self.doublingTree(depth: depth, in: root)
        try await body(root)
    }

    func build(_ root: URL, _ options: KustomizeOptions = KustomizeOptions()) async -> Result<[JSONValue], KustomizeError>? {
        await finishing {
            Result { () throws(KustomizeError) in try KustomizeBuilder(options).build(root: root, path: "l0") }
        }
    }

    @Test("a base fan-out that doubles at every level stops at the resource budget, naming where")
    func exponentialBases() async throws {
        try await withTree(depth: 30) { root in
            // The default (100,000) stops it too, in seconds; a lower bound keeps the suite quick.
            let result = try #require(
                await build(root, KustomizeOptions(maxResources: 20_000)), "the build did not stop: 2^30 objects")
            guard case .failure(.buildTooLarge(let path, let what, let limit)) = result else {
                Issue.record("expected buildTooLarge, got \(result)")
                return
            }
            #expect(path.hasPrefix("l"))
            #expect(what == "resources loaded")
            #expect(limit == 20_000)
            let message = KustomizeError.buildTooLarge(path: path, what: what, limit: limit).message
            #expect(message.contains("20000 resources loaded") && message.contains("included"))
        }
    }

    @Test("a small fan-out builds: 2^6 prefixed copies of the leaf")
    func smallFanOut() async throws {
        try await withTree(depth: 6) { root in
            let documents = try #require(await build(root)).get()
            #expect(documents.count == 64)
            #expect(documents.contains { $0[path: ["metadata", "name"]] == "a-b-a-b-a-b-leaf" })
        }
    }

    @Test("bytes and YAML nodes are totalled over every file a build reads, re-reads included")
    func totals() async throws {
        try await withTree(depth: 4) { root in
            let bytes = try #require(await build(root, KustomizeOptions(maxTotalBytes: 600)))
            guard case .failure(.buildTooLarge(_, "bytes read", 600)) = bytes else {
                Issue.record("expected the byte budget, got \(bytes)")
                return
            }
            let nodes = try #require(await build(root, KustomizeOptions(maxTotalYAMLNodes: 100)))
            guard case .failure(.buildTooLarge(_, "YAML nodes parsed", 100)) = nodes else {
                Issue.record("expected the node budget, got \(nodes)")
                return
            }
            // The same tree within default budgets builds.
            #expect(try #require(await build(root)).get().count == 16)
        }
    }

    @Test("the time limit stops a build that stays within every other budget")
    func timeLimit() async throws {
        try await withTree(depth: 30) { root in
            var options = KustomizeOptions(maxResources: .max, maxTotalYAMLNodes: .max, maxTotalBytes: .max)
            options.timeLimit = .seconds(1)
            let result = try #require(await build(root, options), "the time limit did not stop the build")
            guard case .failure(.buildTimedOut(let path, let limit)) = result else {
                Issue.record("expected buildTimedOut, got \(result)")
                return
            }
            #expect(limit == .seconds(1))
            #expect(path.hasPrefix("l"))
            #expect(KustomizeError.buildTimedOut(path: path, limit: limit).message.contains("1.0 seconds limit"))
        }
    }

    @Test("a build past its deadline before any work fails at the first check")
    func expiredDeadline() async throws {
        try await withTree(depth: 1) { root in
            let result = try #require(await build(root, KustomizeOptions(timeLimit: .zero)))
            #expect(result.failureReason == "BuildTimedOut")
        }
    }
}
