import Foundation
import GitSource
import PetrelTesting
import Testing

@Suite("Archives straight from the object database", .serialized)
struct TreeArchiverTests {
    @Test("a bare fetch archived from the object database equals the archive of a checkout, byte for byte")
    func sameBytesAsCheckout() async throws {
        try await withTemporaryDirectory { tmp in
            let root = tmp.appendingPathComponent("srv")
            let repo = try GitTestRepository(root: root)
            let deep = String(repeating: "long-directory-name/", count: 8) + "file.txt"
            try repo.write([
                "README.md": "hello\n", "deploy/app.yaml": "kind: ConfigMap\n", "bin/run.sh": "#!/bin/sh\n",
                "logo.png": "PNG", ".github/workflows/ci.yml": "on: push\n", ".gitignore": "*.log\n",
                "sub/.sourceignore": "*.tmp\n", "sub/scratch.tmp": "x", "sub/keep.yaml": "a: 1\n",
                "sub/inner/.sourceignore": "!*.tmp\n", "sub/inner/kept.tmp": "y", "a-b/x": "1", "a/b": "2",
                "empty-after-ignore/z.png": "P", deep: "deep\n",
            ])
            try TestCommand.run("/bin/chmod", ["+x", repo.work.appendingPathComponent("bin/run.sh").path])
            try FileManager.default.createSymbolicLink(
                atPath: repo.work.appendingPathComponent("escape").path, withDestinationPath: "/etc/passwd")
            let hash = try repo.commit("tree")
            try await withGitDaemon(root: root) { daemon in
                let url = daemon.url(repo.relativePath)
                let bare = tmp.appendingPathComponent("bare")
                let fetched = try await GitClient().fetch(url: url, reference: GitReference(branch: "main"), into: bare)
                #expect(fetched == .fetched(GitCommit(hash: hash, revision: "main@sha1:\(hash)", reference: "refs/heads/main", subject: "tree")))
                // Bare: no file of the commit is on disk.
                #expect(!FileManager.default.fileExists(atPath: bare.appendingPathComponent("README.md").path))
                let fromTree = try TreeArchiver.archive(
                    repository: bare, commit: hash, to: tmp.appendingPathComponent("tree.tar.gz"))

                let checkoutDir = tmp.appendingPathComponent("checkout")
                _ = try await GitClient().checkout(url: url, reference: GitReference(branch: "main"), into: checkoutDir)
                let fromDirectory = try TarGzArchiver.archive(
                    directory: checkoutDir, to: tmp.appendingPathComponent("dir.tar.gz"))
                #expect(fromTree == fromDirectory)
                let treeBytes = try Data(contentsOf: tmp.appendingPathComponent("tree.tar.gz"))
                #expect(treeBytes == (try Data(contentsOf: tmp.appendingPathComponent("dir.tar.gz"))))
                let sum = try TestCommand.run("/usr/bin/sha256sum", [tmp.appendingPathComponent("tree.tar.gz").path])
                #expect(fromTree.digest == "sha256:" + sum.prefix(64))
                #expect(fromTree.size == treeBytes.count)

                let lines = try TestCommand.run("/usr/bin/tar", ["-tzvf", tmp.appendingPathComponent("tree.tar.gz").path])
                    .split(separator: "\n").map(String.init)
                let names = lines.compactMap { $0.split(separator: " ").last.map(String.init) }
                #expect(names.filter { !$0.hasPrefix("long-directory-name") } == [
                    "README.md", "a/", "a/b", "a-b/", "a-b/x", "bin/", "bin/run.sh", "deploy/", "deploy/app.yaml",
                    "empty-after-ignore/", "sub/", "sub/.sourceignore", "sub/inner/", "sub/inner/.sourceignore",
                    "sub/inner/kept.tmp", "sub/keep.yaml",
                ])
                #expect(names.contains(deep))
                #expect(lines.contains { $0.hasPrefix("-rwxr-xr-x 0/0") && $0.hasSuffix("bin/run.sh") })
                #expect(lines.contains { $0.hasPrefix("-rw-r--r-- 0/0") && $0.hasSuffix("README.md") })

                let store = try ArtifactStore(root: tmp.appendingPathComponent("storage"))
                let stored = try store.store(
                    repository: bare, commit: hash, kind: "GitRepository", namespace: "default", name: "r",
                    revision: "main@sha1:\(hash)", revisionHash: hash)
                #expect(stored.digest == fromTree.digest)
                #expect(stored.path == "gitrepository/default/r/\(hash).tar.gz")

                let missing = await gitError {
                    _ = try TreeArchiver.archive(
                        repository: bare, commit: String(repeating: "ab", count: 20),
                        to: tmp.appendingPathComponent("missing.tar.gz"))
                }
                #expect(missing?.reason == "ArchiveOperationFailed")
            }
        }
    }

    @Test("a submodule (gitlink) is an empty directory unless its commit is fetched and recursion is asked for")
    func gitlinkWithoutSubmoduleObjects() async throws {
        try await withTemporaryDirectory { tmp in
            let root = tmp.appendingPathComponent("srv")
            let repo = try GitTestRepository(root: root)
            try repo.write(["a.yaml": "a\n"])
            try repo.git(["add", "-A"])
            try repo.git(["update-index", "--add", "--cacheinfo", "160000,\(String(repeating: "1", count: 40)),vendor/lib"])
            // Not `repo.commit`: its `git add -A` would drop the gitlink, which has no directory in the work tree.
            try repo.git(["commit", "-q", "-m", "with a gitlink"])
            try repo.git(["push", "-q", "origin", "HEAD:refs/heads/main"])
            let hash = try repo.head()
            try await withGitDaemon(root: root) { daemon in
                let bare = tmp.appendingPathComponent("bare")
                _ = try await GitClient().fetch(url: daemon.url(repo.relativePath), reference: GitReference(branch: "main"), into: bare)
                let file = tmp.appendingPathComponent("a.tar.gz")
                try TreeArchiver.archive(repository: bare, commit: hash, to: file)
                let names = try TestCommand.run("/usr/bin/tar", ["-tzf", file.path]).split(separator: "\n")
                #expect(names == ["a.yaml", "vendor/", "vendor/lib/"])
                let error = await gitError {
                    _ = try TreeArchiver.archive(repository: bare, commit: hash, to: file, recurseSubmodules: true)
                }
                #expect(error?.message.contains("submodule 'vendor/lib'") == true)
            }
        }
    }

    @Test("recurseSubmodules fetches the recorded commit of a submodule (relative URL, same server) into the archive")
    func submodules() async throws {
        try await withTemporaryDirectory { tmp in
            let root = tmp.appendingPathComponent("srv")
            let lib = try GitTestRepository(root: root, name: "lib")
            let recorded = try lib.commit("lib v1", files: ["lib.yaml": "version: 1\n", "docs/logo.png": "P"])
            let parent = try GitTestRepository(root: root, name: "app")
            try parent.write([
                "app.yaml": "app\n",
                ".gitmodules": "[submodule \"lib\"]\n\tpath = vendor/lib\n\turl = ../lib.git\n",
                "broken/.keep": "",
            ])
            try parent.git(["add", "-A"])
            try parent.git(["update-index", "--add", "--cacheinfo", "160000,\(recorded),vendor/lib"])
            try parent.git(["commit", "-q", "-m", "with lib"])
            try parent.git(["push", "-q", "origin", "HEAD:refs/heads/main"])
            let hash = try parent.head()
            // The submodule's branch moves on: the archive must hold the recorded commit, not the tip.
            try lib.commit("lib v2", files: ["lib.yaml": "version: 2\n"])
            try await withGitDaemon(root: root) { daemon in
                let bare = tmp.appendingPathComponent("bare")
                let fetched = try await GitClient().fetch(
                    url: daemon.url(parent.relativePath), reference: GitReference(branch: "main"), into: bare,
                    recurseSubmodules: true)
                #expect(fetched == .fetched(GitCommit(hash: hash, revision: "main@sha1:\(hash)", reference: "refs/heads/main", subject: "with lib")))
                let file = tmp.appendingPathComponent("app.tar.gz")
                try TreeArchiver.archive(repository: bare, commit: hash, to: file, recurseSubmodules: true)
                let names = try TestCommand.run("/usr/bin/tar", ["-tzf", file.path]).split(separator: "\n")
                #expect(names == ["app.yaml", "broken/", "broken/.keep", "vendor/", "vendor/lib/", "vendor/lib/docs/", "vendor/lib/lib.yaml"])
                let content = try TestCommand.run("/usr/bin/tar", ["-xOzf", file.path, "vendor/lib/lib.yaml"])
                #expect(content == "version: 1\n")

                // Without recursion the same fetch leaves the submodule an empty folder.
                let plain = tmp.appendingPathComponent("plain")
                _ = try await GitClient().fetch(url: daemon.url(parent.relativePath), reference: GitReference(branch: "main"), into: plain)
                let plainFile = tmp.appendingPathComponent("plain.tar.gz")
                try TreeArchiver.archive(repository: plain, commit: hash, to: plainFile)
                #expect(try TestCommand.run("/usr/bin/tar", ["-tzf", plainFile.path]).split(separator: "\n").last == "vendor/lib/")

                // A gitlink that .gitmodules does not name is a clear error.
                try parent.write([".gitmodules": "[submodule \"other\"]\n\tpath = elsewhere\n\turl = ../lib.git\n"])
                try parent.git(["add", ".gitmodules"])
                try parent.git(["commit", "-q", "-m", "unmapped"])
                try parent.git(["push", "-q", "origin", "HEAD:refs/heads/main"])
                let error = await gitError {
                    _ = try await GitClient().fetch(
                        url: daemon.url(parent.relativePath), reference: GitReference(branch: "main"),
                        into: tmp.appendingPathComponent("unmapped"), recurseSubmodules: true)
                }
                #expect(error?.message == "submodule 'vendor/lib' has no url in .gitmodules; fix .gitmodules or disable recurseSubmodules")
            }
        }
    }
}

