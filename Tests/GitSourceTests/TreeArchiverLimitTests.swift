import Foundation
import GitSource
import PetrelTesting
import Testing

/// Review finding S5 and issue 13, point 6: a repository is hostile input; archiving it is bounded.
@Suite("TreeArchiver bounds: git bombs, deep trees, pathological ignore patterns", .serialized)
struct TreeArchiverLimitTests {
    static func archive(
        _ repo: GitTestRepository, _ commit: String, tmp: URL, rules: IgnoreRules = IgnoreRules(),
        limits: ExtractionLimits = ExtractionLimits(), budget: ArchiveBudget = ArchiveBudget()
    ) throws -> ArchiveSummary {
        try TreeArchiver.archive(
            repository: repo.bare, commit: commit, to: tmp.appendingPathComponent("out-\(UUID().uuidString).tar.gz"),
            rules: rules, limits: limits, budget: budget)
    }

    @Test("a git bomb of repeated subtrees (2·10^10 files in a few objects) fails fast with the limit named")
    func gitBomb() async throws {
        try await withTemporaryDirectory { tmp in
            let repo = try GitTestRepository(root: tmp.appendingPathComponent("srv"))
            let commit = try repo.commitCraftedTree(.bomb(width: 30, levels: 6))
            // A lower entry limit than the default 100,000 keeps the debug-build test short; the logic is the same.
            let limits = ExtractionLimits(maxEntries: 5000)
            let error = #expect(throws: GitSourceError.self) { try Self.archive(repo, commit, tmp: tmp, limits: limits) }
            #expect(error?.reason == "ArtifactLimitExceeded")
            #expect(error?.message.contains("more than 5000 files and directories") == true, "\(String(describing: error))")
            // Excluded entries are walked but not archived: the walk itself is bounded too.
            let ignoring = IgnoreRules(specIgnore: "*.yaml")
            let walked = #expect(throws: GitSourceError.self) {
                try Self.archive(repo, commit, tmp: tmp, rules: ignoring, limits: limits)
            }
            #expect(walked?.message.contains("tree entries to walk") == true, "\(String(describing: walked))")
        }
    }

    @Test("a tree nested 10,000 levels deep is refused at the depth limit instead of overflowing the stack")
    func deepTree() async throws {
        try await withTemporaryDirectory { tmp in
            let repo = try GitTestRepository(root: tmp.appendingPathComponent("srv"))
            let commit = try repo.commitCraftedTree(.deep(levels: 10_000))
            let error = #expect(throws: GitSourceError.self) { try Self.archive(repo, commit, tmp: tmp) }
            #expect(error?.reason == "ArtifactLimitExceeded")
            #expect(error?.message.contains("deeper than 256 levels") == true, "\(String(describing: error))")
            // Within the limits the same shape archives.
            let shallow = try repo.commitCraftedTree(.deep(levels: 50))
            #expect(try Self.archive(repo, shallow, tmp: tmp).size > 0)
        }
    }

    @Test("bytes, entries and path length are bounded; a passed deadline or a cancellation stops the walk")
    func bytesAndDeadline() async throws {
        try await withTemporaryDirectory { tmp in
            let repo = try GitTestRepository(root: tmp.appendingPathComponent("srv"))
            let commit = try repo.commit("c", files: ["a.yaml": String(repeating: "x", count: 5000), "b/c.yaml": "c\n"])
            let bytes = #expect(throws: GitSourceError.self) {
                try Self.archive(repo, commit, tmp: tmp, limits: ExtractionLimits(maxTotalBytes: 4000))
            }
            #expect(bytes?.message.contains("more than 4000 bytes of files, at 'a.yaml'") == true)
            let path = #expect(throws: GitSourceError.self) {
                try Self.archive(repo, commit, tmp: tmp, limits: ExtractionLimits(maxPathLength: 4))
            }
            #expect(path?.message.contains("longer than 4 bytes") == true, "\(String(describing: path))")
            let bomb = try repo.commitCraftedTree(.bomb(width: 30, levels: 6))
            let late = ArchiveBudget(timeout: .zero)
            let timedOut = #expect(throws: GitSourceError.self) { try Self.archive(repo, bomb, tmp: tmp, budget: late) }
            #expect(timedOut?.reason == "Timeout")
            let cancelled = ArchiveBudget()
            cancelled.cancel()
            let stopped = #expect(throws: GitSourceError.self) { try Self.archive(repo, bomb, tmp: tmp, budget: cancelled) }
            #expect(stopped?.reason == "Cancelled")
        }
    }

    @Test("a pathological .sourceignore pattern costs linear time, not combinatorial")
    func pathologicalPattern() async throws {
        try await withTemporaryDirectory { tmp in
            let repo = try GitTestRepository(root: tmp.appendingPathComponent("srv"))
            // 16 stars against a 200-character name that never matches: trying every split is C(200, 16) ~ 10^23.
            let pattern = String(repeating: "*a", count: 15) + "*b"
            let deep = Array(repeating: "x", count: 40).joined(separator: "/")
            let commit = try repo.commit(
                "c",
                files: [
                    ".sourceignore": pattern + "\n" + String(repeating: "**/", count: 30) + "y\n",
                    String(repeating: "a", count: 200): "kept\n", deep + "/z.yaml": "kept\n",
                ])
            let summary = try Self.archive(repo, commit, tmp: tmp)
            #expect(summary.size > 0)
        }
    }
}
