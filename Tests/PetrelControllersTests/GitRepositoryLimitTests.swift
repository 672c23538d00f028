import Foundation
import GitSource
import PetrelAPI
import PetrelTesting
import Testing

/// Review finding S5 and issue 13, point 6, through the controller: a commit that is a git bomb.
@Suite("GitRepository controller: repository bounds", .serialized)
struct GitRepositoryLimitTests {
    @Test("a git bomb pushed to a served repository gives Ready=False naming the GitRepository and the limit")
    func gitBomb() async throws {
        try await withTemporaryDirectory { tmp in
            let root = tmp.appendingPathComponent("srv")
            let repo = try GitTestRepository(root: root)
            let bomb = try repo.commitCraftedTree(.bomb(width: 30, levels: 6))
            try await withGitDaemon(root: root) { daemon in
                // A lower entry limit than the default keeps the debug-build test short; the logic is the same.
                try await withGitRepositoryController(tmp: tmp, configure: { $0.artifactLimits.maxEntries = 5000 }) {
                    env in
                    try await env.create("bomb", spec: try gitSpec(daemon.url(repo.relativePath)))
                    let failed = try await env.wait("bomb", for: "Ready=False") {
                        $0.status.conditions.isFalse(ConditionType.ready)
                    }
                    let ready = failed.status.conditions.find(ConditionType.ready)
                    #expect(ready?.reason == "ArtifactLimitExceeded")
                    #expect(ready?.message.contains("GitRepository '\(env.namespace)/bomb'") == true)
                    #expect(ready?.message.contains("more than 5000 files and directories") == true, "\(String(describing: ready))")
                    #expect(failed.status.artifact == nil)
                    #expect(!bomb.isEmpty)
                }
            }
        }
    }
}
