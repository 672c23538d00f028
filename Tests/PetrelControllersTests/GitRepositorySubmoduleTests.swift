import Foundation
import KubeCore
import PetrelAPI
import PetrelControllers
import PetrelTesting
import Testing

@Suite("GitRepository controller: spec.recurseSubmodules against git daemon", .serialized)
struct GitRepositorySubmoduleTests {
    @Test("recurseSubmodules puts the submodule's recorded tree in the artifact; turning it off rebuilds without it")
    func recurseSubmodules() async throws {
        try await withTemporaryDirectory { tmp in
            let root = tmp.appendingPathComponent("srv")
            let lib = try GitTestRepository(root: root, name: "lib")
            let recorded = try lib.commit("lib v1", files: ["lib.yaml": "version: 1\n"])
            let app = try GitTestRepository(root: root, name: "app")
            try app.write([
                "app.yaml": "app\n", ".gitmodules": "[submodule \"lib\"]\n\tpath = vendor/lib\n\turl = ../lib.git\n",
            ])
            try app.git(["add", "-A"])
            try app.git(["update-index", "--add", "--cacheinfo", "160000,\(recorded),vendor/lib"])
            try app.git(["commit", "-q", "-m", "with lib"])
            try app.git(["push", "-q", "origin", "HEAD:refs/heads/main"])
            let hash = try app.head()
            try await withGitDaemon(root: root) { daemon in
                try await withGitRepositoryController(tmp: tmp) { env in
                    var spec = try gitSpec(daemon.url(app.relativePath))
                    spec.recurseSubmodules = true
                    try await env.create("app", spec: spec)
                    let ready = try await env.waitReady("app", revision: "main@sha1:\(hash)")
                    let file = try #require(env.file(ready.status.artifact))
                    #expect(try tarEntries(file) == ["app.yaml", "vendor/", "vendor/lib/", "vendor/lib/lib.yaml"])
                    #expect(ready.status.observedRecurseSubmodules == true)

                    try await env.patch("app", ["spec": ["recurseSubmodules": false]])
                    let plain = try await env.wait("app", for: "an artifact without the submodule") {
                        $0.isReady && $0.status.artifact?.digest != ready.status.artifact?.digest
                    }
                    #expect(plain.status.artifact?.revision == "main@sha1:\(hash)")
                    #expect(try tarEntries(try #require(env.file(plain.status.artifact))) == ["app.yaml", "vendor/", "vendor/lib/"])
                    #expect(plain.status.observedRecurseSubmodules == nil)
                }
            }
        }
    }
}
