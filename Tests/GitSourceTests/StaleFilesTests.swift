import Foundation
import GitSource
import PetrelTesting
import Testing

/// Review finding S20: temporary data a crash leaves behind is removed at start-up and by garbage collection.
@Suite("Stale temporary files")
struct StaleFilesTests {
    static func age(_ url: URL, by seconds: Double) throws {
        try FileManager.default.setAttributes(
            [.modificationDate: Date().addingTimeInterval(-seconds)], ofItemAtPath: url.path)
    }

    @Test("petrel-fetch-, petrel-git- and petrel-artifacts- folders untouched for 30 minutes are removed; others stay")
    func temporaryFolders() async throws {
        try await withTemporaryDirectory { tmp in
            let names = [
                "petrel-fetch-old", "petrel-git-old", "petrel-artifacts-old", "petrel-fetch-fresh", "other-old",
            ]
            for name in names {
                try FileManager.default.createDirectory(
                    at: tmp.appendingPathComponent(name).appendingPathComponent("objects"),
                    withIntermediateDirectories: true)
                if name.hasSuffix("old") { try Self.age(tmp.appendingPathComponent(name), by: 3600) }
            }
            let removed = StaleFiles.removeStale(in: tmp)
            #expect(Set(removed) == ["petrel-fetch-old", "petrel-git-old", "petrel-artifacts-old"])
            let left = try FileManager.default.contentsOfDirectory(atPath: tmp.path).sorted()
            #expect(left == ["other-old", "petrel-fetch-fresh"])
        }
    }

    @Test("GC removes an object's .tmp- files; the start-up sweep removes old ones in every object folder")
    func storageTemporaryFiles() async throws {
        try await withTemporaryDirectory { tmp in
            let store = try ArtifactStore(root: tmp.appendingPathComponent("storage"))
            let tree = tmp.appendingPathComponent("tree")
            try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
            try "a: 1\n".write(to: tree.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
            let stored = try store.store(
                directory: tree, kind: "GitRepository", namespace: "ns", name: "app", revision: "main@sha1:1",
                revisionHash: "1")
            let folder = try store.absoluteURL(try store.objectPath(kind: "GitRepository", namespace: "ns", name: "app"))
            let crashed = folder.appendingPathComponent(".tmp-crashed")
            try Data("partial".utf8).write(to: crashed)
            let other = try store.absoluteURL(try store.objectPath(kind: "GitRepository", namespace: "ns", name: "other"))
            try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
            let old = other.appendingPathComponent(".tmp-old")
            let fresh = other.appendingPathComponent(".tmp-fresh")
            try Data("x".utf8).write(to: old)
            try Data("x".utf8).write(to: fresh)
            try Self.age(old, by: 3600)

            let deleted = try store.garbageCollect(kind: "GitRepository", namespace: "ns", name: "app", current: stored)
            #expect(deleted == ["gitrepository/ns/app/.tmp-crashed"])
            #expect(store.exists(stored))
            #expect(store.removeStaleTemporaryFiles() == ["gitrepository/ns/other/.tmp-old"])
            #expect(FileManager.default.fileExists(atPath: fresh.path))
        }
    }
}
