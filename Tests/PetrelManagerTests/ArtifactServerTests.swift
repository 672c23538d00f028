import ControllerRuntime
import Foundation
import KubeClient
import KubeCore
import LocalAPIServer
import Logging
import PetrelAPI
import PetrelControllers
import PetrelManager
import PetrelTesting
import Testing

/// The result of one curl request.
struct CurlResult {
    var status: Int
    var headers: String
    var body: Data
}

/// Runs `curl` (with `--path-as-is`, so `..` reaches the server untouched) and returns status, headers and body.
func curl(_ url: String, method: String = "GET", in tmp: URL) async throws -> CurlResult {
    let bodyFile = tmp.appendingPathComponent("body-\(UUID().uuidString)")
    let headerFile = tmp.appendingPathComponent("headers-\(UUID().uuidString)")
    var arguments = ["-s", "--path-as-is", "-o", bodyFile.path, "-D", headerFile.path, "-w", "%{http_code}"]
    arguments += method == "HEAD" ? ["-I"] : ["-X", method]
    let status = try await TestCommand.runDetached("/usr/bin/curl", arguments + [url])
    defer {
        try? FileManager.default.removeItem(at: bodyFile)
        try? FileManager.default.removeItem(at: headerFile)
    }
    return CurlResult(
        status: Int(status.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1,
        headers: (try? String(contentsOf: headerFile, encoding: .utf8)) ?? "",
        body: (try? Data(contentsOf: bodyFile)) ?? Data())
}

/// Runs `body` with an ``ArtifactServer`` over `storage` on a free loopback port.
func withArtifactServer(
    storage: URL, _ body: @escaping @Sendable (_ base: String) async throws -> Void
) async throws {
    let (ports, continuation) = AsyncStream<Int>.makeStream(bufferingPolicy: .bufferingNewest(1))
    let server = ArtifactServer(
        storagePath: storage.path, host: "127.0.0.1", port: 0,
        logger: Logger(label: "artifact-server", factory: { _ in SwiftLogNoOpLogHandler() }),
        onServerRunning: { port in continuation.yield(port) })
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        do {
            try await body("http://127.0.0.1:\(port)")
        } catch {
            group.cancelAll()
            throw error
        }
        group.cancelAll()
    }
}

@Suite("Artifact HTTP server", .serialized)
struct ArtifactServerTests {
    @Test("serves files under the storage folder with GET and HEAD; refuses other methods, escapes and listings")
    func confinement() async throws {
        try await withTemporaryDirectory { tmp in
            let storage = tmp.appendingPathComponent("storage")
            let folder = storage.appendingPathComponent("gitrepository/ns/app")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let content = Data((0..<300_000).map { UInt8($0 % 251) })
            try content.write(to: folder.appendingPathComponent("abc.tar.gz"))
            try FileManager.default.createSymbolicLink(
                atPath: folder.appendingPathComponent("latest.tar.gz").path, withDestinationPath: "abc.tar.gz")
            try "secret".write(to: tmp.appendingPathComponent("outside.txt"), atomically: true, encoding: .utf8)
            try FileManager.default.createSymbolicLink(
                atPath: folder.appendingPathComponent("escape.tar.gz").path,
                withDestinationPath: tmp.appendingPathComponent("outside.txt").path)
            try await withArtifactServer(storage: storage) { base in
                let got = try await curl("\(base)/gitrepository/ns/app/abc.tar.gz", in: tmp)
                #expect(got.status == 200)
                #expect(got.body == content)
                #expect(got.headers.lowercased().contains("content-type: application/gzip"))
                let head = try await curl("\(base)/gitrepository/ns/app/abc.tar.gz", method: "HEAD", in: tmp)
                #expect(head.status == 200)
                #expect(head.headers.lowercased().contains("content-length: 300000"))
                // curl -I writes the response head to the output file: no payload may follow it.
                #expect(head.body.count < 1_000 && !head.body.contains(content.prefix(64)))
                #expect(try await curl("\(base)/gitrepository/ns/app/latest.tar.gz", in: tmp).body == content)

                let post = try await curl("\(base)/gitrepository/ns/app/abc.tar.gz", method: "POST", in: tmp)
                #expect(post.status == 405)
                #expect(post.headers.lowercased().contains("allow: get, head"))
                #expect(try await curl("\(base)/gitrepository/ns/app/abc.tar.gz", method: "DELETE", in: tmp).status == 405)
                #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("abc.tar.gz").path))

                for path in [
                    "/gitrepository/ns/app/missing.tar.gz", "/gitrepository/ns/app/", "/gitrepository",
                    "/../outside.txt", "/gitrepository/../../outside.txt", "/%2e%2e/outside.txt",
                    "/gitrepository/ns/app/escape.tar.gz", "/gitrepository/ns/app/abc.tar.gz%00",
                ] {
                    let response = try await curl(base + path, in: tmp)
                    #expect(response.status == 404, "\(path)")
                    #expect(!String(decoding: response.body, as: UTF8.self).contains("secret"), "\(path)")
                }
                #expect(try await curl(base + "/", in: tmp).status == 200)
            }
        }
    }

    @Test("a GitRepository's artifact is served at its status URL and matches its digest")
    func servesControllerArtifact() async throws {
        try await withTemporaryDirectory { tmp in
            let root = tmp.appendingPathComponent("srv")
            let repo = try GitTestRepository(root: root)
            let hash = try repo.commit("c", files: ["deploy/app.yaml": "kind: ConfigMap\n"])
            let storage = tmp.appendingPathComponent("storage")
            try await withGitDaemon(root: root) { daemon in
                let gitURL = daemon.url(repo.relativePath)
                try await withArtifactServer(storage: storage) { base in
                    try await self.runController(tmp: tmp, storage: storage, base: base) { client, namespace in
                        let resource = GitRepository.groupVersionResource
                        let object = GitRepository(
                            metadata: ObjectMeta(name: "served", namespace: namespace),
                            spec: GitRepositorySpec(
                                url: gitURL, interval: .minutes(10), ref: GitRepositoryRef(branch: "main")))
                        _ = try await client.create(resource, namespace: namespace, try object.json())
                        let ready = try await eventually("Ready=True") { () async throws -> GitRepository? in
                            let current = try GitRepository(json: try await client.get(resource, namespace: namespace, name: "served"))
                            return current.isReady ? current : nil
                        }
                        let artifact = try #require(ready.status.artifact)
                        #expect(artifact.revision == "main@sha1:\(hash)")
                        #expect(artifact.url.hasPrefix(base + "/gitrepository/\(namespace)/served/"))
                        let download = tmp.appendingPathComponent("download.tar.gz")
                        try await TestCommand.runDetached("/usr/bin/curl", ["-sf", "-o", download.path, artifact.url])
                        let sum = try TestCommand.run("/usr/bin/sha256sum", [download.path]).split(separator: " ").first
                        #expect("sha256:\(sum ?? "")" == artifact.digest)
                        let listing = try TestCommand.run("/usr/bin/tar", ["-tzf", download.path])
                        #expect(listing.split(separator: "\n") == ["deploy/", "deploy/app.yaml"])
                    }
                }
            }
        }
    }

    /// A local API server with the GitRepository CRD and the controller running, storing into `storage`.
    func runController(
        tmp: URL, storage: URL, base: String,
        _ body: @escaping @Sendable (KubeClient, String) async throws -> Void
    ) async throws {
        let logger = {
            var logger = Logger(label: "petrel.test")
            logger.logLevel = .warning
            return logger
        }()
        try await LocalAPIServer.withRunning(logger: Logger(label: "api", factory: { _ in SwiftLogNoOpLogHandler() })) { url in
            let kubeconfig = tmp.appendingPathComponent("kubeconfig").path
            try LocalAPIServer.writeKubeconfig(for: url, to: kubeconfig)
            let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent()
            try await TestCommand.runDetached(
                "/usr/bin/kubectl",
                ["--kubeconfig", kubeconfig, "apply", "-f", packageRoot.appendingPathComponent("crds/source.petrel.dev_gitrepositories.yaml").path])
            var failure: (any Error)?
            do {
                try await KubeClient.withClient(config: KubeConfig(server: url.absoluteString), logger: logger) { client in
                    let informers = InformerFactory(client: client, logger: logger)
                    let controller = GitRepositoryController.make(
                        client: client, informers: informers, recorder: LoggingEventRecorder(logger: logger),
                        options: GitRepositoryControllerOptions(storagePath: storage.path, artifactBaseURL: base),
                        logger: logger)
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { await informers.run() }
                        group.addTask { await controller.run() }
                        do { try await body(client, "default") } catch {
                            group.cancelAll()
                            throw error
                        }
                        group.cancelAll()
                    }
                }
            } catch {
                failure = error
            }
            // Let the server see the closed watch connections before it is cancelled.
            try? await Task.sleep(for: .milliseconds(500))
            if let failure { throw failure }
        }
    }
}
