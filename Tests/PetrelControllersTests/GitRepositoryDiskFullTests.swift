import Foundation
import KubeCore
import PetrelAPI
import PetrelTesting
import Testing

/// Whether this process may mount a tmpfs (root in a mount namespace, as `make test` runs).
enum TmpfsMount {
    static let available: Bool = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-mount-probe-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        guard (try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)) != nil,
            (try? TestCommand.run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir.path])) != nil
        else { return false }
        return (try? TestCommand.run("/bin/umount", [dir.path])) != nil
    }()
}

/// Issue 13, point 6: the storage volume fills up. A small tmpfs stands in for the chart's size-limited emptyDir.
@Suite(
    "GitRepository controller: a full storage volume", .serialized,
    .enabled(if: TmpfsMount.available, "needs permission to mount a tmpfs (run as root, as make test does)"))
struct GitRepositoryDiskFullTests {

    @Test("a new artifact that does not fit fails with a clear error; the previous one stays intact and current")
    func diskFull() async throws {
        try await withTemporaryDirectory { tmp in
            let small = tmp.appendingPathComponent("small-storage")
            try FileManager.default.createDirectory(at: small, withIntermediateDirectories: true)
            try TestCommand.run("/bin/mount", ["-t", "tmpfs", "-o", "size=384k", "tmpfs", small.path])
            defer { _ = try? TestCommand.run("/bin/umount", ["-l", small.path]) }
            let root = tmp.appendingPathComponent("srv")
            let repo = try GitTestRepository(root: root)
            let first = try repo.commit("small", files: ["deploy/a.yaml": "a: 1\n"])
            try await withGitDaemon(root: root) { daemon in
                try await withGitRepositoryController(tmp: tmp, configure: { $0.storagePath = small.path }) { env in
                    try await env.create("app", spec: try gitSpec(daemon.url(repo.relativePath)))
                    let ready = try await env.waitReady("app", revision: "main@sha1:\(first)")
                    let artifact = try #require(ready.status.artifact)
                    let file = small.appendingPathComponent(artifact.path)

                    // About 1.3 MiB of base64 noise compresses to about 1 MiB: more than the volume holds.
                    let noise = Data((0..<1_000_000).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
                    let second = try repo.commit("big", files: ["deploy/blob.txt": noise])
                    try await env.requestReconcile("app", token: "big")
                    let failed = try await env.wait("app", for: "Ready=False after the volume filled up") {
                        $0.status.conditions.isFalse(ConditionType.ready)
                    }
                    let message = failed.status.conditions.find(ConditionType.ready)?.message ?? ""
                    #expect(message.contains("the artifact storage is full"), "\(message)")
                    #expect(message.contains("the previous artifact is kept"))
                    #expect(failed.status.artifact == artifact, "status still points at the previous artifact")
                    #expect(try sha256Digest(of: file) == artifact.digest, "the previous archive is intact")
                    let latest = try FileManager.default.destinationOfSymbolicLink(
                        atPath: file.deletingLastPathComponent().appendingPathComponent("latest.tar.gz").path)
                    #expect(latest == file.lastPathComponent)
                    let leftovers = try FileManager.default.contentsOfDirectory(
                        atPath: file.deletingLastPathComponent().path)
                    #expect(!leftovers.contains { $0.hasPrefix(".tmp-") }, "the partial archive is removed: \(leftovers)")
                    #expect(!second.isEmpty)
                }
            }
        }
    }
}
