import Foundation
import GitSource
import PetrelTesting
import Testing

@Suite("Deterministic tar.gz archives")
struct ArchiveTests {
    static func makeTree(_ dir: URL, mtime: String) throws {
        let files = [
            "README.md": "hello\n", "deploy/app.yaml": "kind: ConfigMap\n", "bin/run.sh": "#!/bin/sh\necho hi\n",
            ".git/config": "[core]\n", "logo.png": "PNG", ".github/workflows/ci.yml": "on: push\n",
            "sub/.sourceignore": "*.tmp\n", "sub/scratch.tmp": "x", "sub/keep.yaml": "a: 1\n",
            String(repeating: "long-directory-name/", count: 8) + "file.txt": "deep\n",
        ]
        for (path, content) in files {
            let url = dir.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try content.write(to: url, atomically: true, encoding: .utf8)
        }
        try FileManager.default.setAttributes(
            [.posixPermissions: 0o700], ofItemAtPath: dir.appendingPathComponent("bin/run.sh").path)
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("escape").path, withDestinationPath: "/etc/passwd")
        try TestCommand.run("/usr/bin/find", [dir.path, "-exec", "touch", "-h", "-d", mtime, "{}", "+"])
    }

    @Test("same tree twice gives the same digest, with sorted, normalised entries and ignored paths dropped")
    func determinism() async throws {
        try await withTemporaryDirectory { tmp in
            let one = tmp.appendingPathComponent("one")
            let two = tmp.appendingPathComponent("two")
            try Self.makeTree(one, mtime: "2001-01-01 00:00")
            try Self.makeTree(two, mtime: "2020-06-06 12:00")
            let first = try TarGzArchiver.archive(directory: one, to: tmp.appendingPathComponent("1.tar.gz"))
            let second = try TarGzArchiver.archive(directory: two, to: tmp.appendingPathComponent("2.tar.gz"))
            #expect(first == second)
            #expect(first.digest.hasPrefix("sha256:"))
            let sum = try TestCommand.run("/usr/bin/sha256sum", [tmp.appendingPathComponent("1.tar.gz").path])
            #expect(first.digest == "sha256:" + sum.prefix(64))
            let size = try FileManager.default.attributesOfItem(atPath: tmp.appendingPathComponent("1.tar.gz").path)[.size] as? Int
            #expect(first.size == size)

            let listing = try TestCommand.run("/usr/bin/tar", ["-tzvf", tmp.appendingPathComponent("1.tar.gz").path])
            let lines = listing.split(separator: "\n").map(String.init)
            let names = lines.compactMap { $0.split(separator: " ").last.map(String.init) }
            let deep = String(repeating: "long-directory-name/", count: 8) + "file.txt"
            #expect(names.contains(deep))
            let expected = [
                "README.md", "bin/", "bin/run.sh", "deploy/", "deploy/app.yaml", "sub/", "sub/.sourceignore",
                "sub/keep.yaml",
            ]
            #expect(names.filter { !$0.hasPrefix("long-directory-name") } == expected)
            #expect(lines.contains { $0.hasPrefix("-rwxr-xr-x 0/0") && $0.hasSuffix("bin/run.sh") })
            #expect(lines.contains { $0.hasPrefix("-rw-r--r-- 0/0") && $0.hasSuffix("README.md") })
            #expect(lines.allSatisfy { $0.contains("1970-01-01") })

            try "changed\n".write(to: two.appendingPathComponent("README.md"), atomically: true, encoding: .utf8)
            let third = try TarGzArchiver.archive(directory: two, to: tmp.appendingPathComponent("3.tar.gz"))
            #expect(third.digest != first.digest)
        }
    }

    @Test("spec.ignore replaces the defaults")
    func specIgnore() async throws {
        try await withTemporaryDirectory { tmp in
            let tree = tmp.appendingPathComponent("tree")
            try Self.makeTree(tree, mtime: "2001-01-01 00:00")
            let file = tmp.appendingPathComponent("a.tar.gz")
            try TarGzArchiver.archive(directory: tree, to: file, rules: IgnoreRules(specIgnore: "/*\n!/deploy/\n!logo.png\n"))
            let names = try TestCommand.run("/usr/bin/tar", ["-tzf", file.path]).split(separator: "\n")
            #expect(names == ["deploy/", "deploy/app.yaml", "logo.png"])
        }
    }
}

@Suite("Artifact storage")
struct ArtifactStoreTests {
    @Test("stores under kind/namespace/name, keeps the current and one previous, deletes all")
    func storeAndCollect() async throws {
        try await withTemporaryDirectory { tmp in
            let tree = tmp.appendingPathComponent("tree")
            try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
            let store = try ArtifactStore(root: tmp.appendingPathComponent("storage"))
            var artifacts: [StoredArtifact] = []
            for index in 0..<4 {
                try "v\(index)\n".write(to: tree.appendingPathComponent("file"), atomically: true, encoding: .utf8)
                let hash = String(repeating: "\(index)", count: 40)
                let artifact = try store.store(
                    directory: tree, kind: "GitRepository", namespace: "ns", name: "podinfo",
                    revision: "main@sha1:\(hash)", revisionHash: hash)
                #expect(artifact.path == "gitrepository/ns/podinfo/\(hash).tar.gz")
                #expect(store.exists(artifact))
                artifacts.append(artifact)
                try await Task.sleep(for: .milliseconds(20))
            }
            let deleted = try store.garbageCollect(kind: "GitRepository", namespace: "ns", name: "podinfo", current: artifacts[3])
            #expect(Set(deleted) == [artifacts[0].path, artifacts[1].path])
            #expect(store.exists(artifacts[3]) && store.exists(artifacts[2]))
            #expect(!store.exists(artifacts[0]) && !store.exists(artifacts[1]))
            let latest = try FileManager.default.destinationOfSymbolicLink(
                atPath: store.root.appendingPathComponent("gitrepository/ns/podinfo/latest.tar.gz").path)
            #expect(latest == (artifacts[3].path as NSString).lastPathComponent)
            try store.deleteAll(kind: "GitRepository", namespace: "ns", name: "podinfo")
            #expect(!store.exists(artifacts[3]))
        }
    }

    @Test("paths cannot escape the storage root")
    func confinement() async throws {
        try await withTemporaryDirectory { tmp in
            let store = try ArtifactStore(root: tmp)
            #expect(throws: GitSourceError.self) { try store.objectPath(kind: "GitRepository", namespace: "..", name: "x") }
            #expect(throws: GitSourceError.self) { try store.artifactPath(kind: "k", namespace: "n", name: "a/b", revisionHash: "h") }
            #expect(throws: GitSourceError.self) { try store.absoluteURL("k/../../etc/passwd") }
            #expect(try store.absoluteURL("k/n/x/h.tar.gz").path.hasPrefix(store.root.path + "/"))
        }
    }
}
