import Foundation
import GitSource
import KubeClient
import KubeCore
import LocalAPIServer
import Logging
import PetrelControllers
import PetrelTesting
import Synchronization
import Testing

/// Watches and artifact downloads against servers that stop sending half-way (security review S8), through real
/// HTTP: the local API server and a python `http.server`, with a ``FaultProxy`` in between that goes silent.
@Suite("Deadlines: silent watches and stalled downloads")
struct DeadlineTests {
    static let configMaps = GroupVersionResource(group: "", version: "v1", resource: "configmaps")

    static var logger: Logger {
        var logger = Logger(label: "deadline-test")
        logger.logLevel = .critical
        return logger
    }

    @Test("a watch whose connection goes half-open ends with a timeout after the idle deadline, not never")
    func silentWatch() async throws {
        try await LocalAPIServer.withRunning(configuration: .init(bookmarkInterval: .seconds(3600))) { url in
            let proxy = try await FaultProxy.start(upstreamPort: url.port ?? 0)
            var config = KubeConfig(server: "http://127.0.0.1:\(proxy.port)")
            config.watchIdleTimeout = .seconds(2)
            let client = try KubeClient(config: config, logger: Self.logger)
            _ = try await client.create(
                Self.configMaps, namespace: "default",
                ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "before"]])
            let stream = try await client.watch(
                Self.configMaps, namespace: "default", options: QueryOptions(timeoutSeconds: 600))
            let outcome = Mutex<(ended: Bool, error: KubeClientError?)>((false, nil))
            let consumer = Task {
                do {
                    for try await _ in stream {}
                    outcome.withLock { $0 = (true, nil) }
                } catch {
                    outcome.withLock { $0 = (true, error as? KubeClientError) }
                }
            }
            // The first event arrives; then the connection goes silent (no FIN, no RST) while the server keeps
            // changing: without an idle deadline the loop above would wait for the 600 s watch timeout.
            #expect(try await eventually("the first watch event") { proxy.openConnections > 0 ? true : nil })
            proxy.silenceConnections()
            _ = try await client.create(
                Self.configMaps, namespace: "default",
                ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "unseen"]])
            let error = try await eventually("the watch to end", timeout: .seconds(60)) { () -> KubeClientError?? in
                outcome.withLock { $0.ended ? .some($0.error) : nil }
            }
            consumer.cancel()
            #expect(error?.reason == "Timeout", "the watch ended with \(String(describing: error))")
            #expect(error?.message.contains("received nothing") == true)
            try await client.shutdown()
            await proxy.stop()
        }
    }


    /// Runs `body` with a python `http.server` serving `files` (name → size in bytes of 'x') from a folder with a
    /// `dir/` subfolder, and a proxy in front of it; passes the proxy and the server's port.
    static func withArtifactServer(
        _ files: [String: Int], _ body: (FaultProxy, Int, URL) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory("petrel-artifacts") { folder in
            let served = folder.appendingPathComponent("served")
            try FileManager.default.createDirectory(
                at: served.appendingPathComponent("dir"), withIntermediateDirectories: true)
            for (name, size) in files {
                try Data(repeating: 0x78, count: size).write(to: served.appendingPathComponent(name))
            }
            let port = try TestCommand.freePort()
            let server = try ManagedProcess(
                name: "http.server", executable: "/usr/bin/python3",
                arguments: ["-m", "http.server", "--bind", "127.0.0.1", "\(port)", "--directory", served.path],
                logFile: folder.appendingPathComponent("http-server.log"))
            defer { server.stop() }
            try await TestCommand.waitForPorts([port], of: server)
            let proxy = try await FaultProxy.start(upstreamPort: port)
            do {
                try await body(proxy, port, folder)
            } catch {
                await proxy.stop()
                throw error
            }
            await proxy.stop()
        }
    }

    /// The sha256 digest, as a source's status gives it, of `size` bytes of 'x'.
    /// A well-formed digest for requests refused before any body is read (a malformed one is refused first).
    static let placeholderDigest = "sha256:" + String(repeating: "0", count: 64)

    static func digest(ofSize size: Int) -> String {
        var digester = ArtifactDigester()
        Data(repeating: 0x78, count: size).withUnsafeBytes { digester.update($0) }
        return digester.finalize()
    }

    @Test("a download whose server stops sending mid-body fails after the attempt's deadline, naming it")
    func stalledBody() async throws {
        try await Self.withArtifactServer(["artifact.tar.gz": 4 << 20]) { proxy, _, folder in
            proxy.inject(.truncateResponses(afterBytes: 64 << 10, stall: true))
            let fetcher = ArtifactFetcher(timeout: .seconds(2), attempts: 1, logger: Self.logger)
            let error = await #expect(throws: KustomizationError.self) {
                try await fetcher.fetch(
                    url: "http://127.0.0.1:\(proxy.port)/artifact.tar.gz", digest: Self.digest(ofSize: 4 << 20),
                    to: folder.appendingPathComponent("download"))
            }
            #expect(error?.message.contains("did not complete within 2.0 seconds") == true, "got \(error?.message ?? "no error")")
            // The same download without the fault succeeds (with a deadline a loaded machine cannot miss).
            proxy.inject(.none)
            let patient = ArtifactFetcher(timeout: .seconds(60), attempts: 1, logger: Self.logger)
            try await patient.fetch(
                url: "http://127.0.0.1:\(proxy.port)/artifact.tar.gz", digest: Self.digest(ofSize: 4 << 20),
                to: folder.appendingPathComponent("download"))
        }
    }

    @Test("a download cut mid-body is retried and then fails; nothing is accepted with the wrong digest")
    func truncatedBody() async throws {
        try await Self.withArtifactServer(["artifact.tar.gz": 1 << 20]) { proxy, _, folder in
            proxy.inject(.truncateResponses(afterBytes: 10_000, stall: false))
            let fetcher = ArtifactFetcher(timeout: .seconds(30), attempts: 2, logger: Self.logger)
            let error = await #expect(throws: KustomizationError.self) {
                try await fetcher.fetch(
                    url: "http://127.0.0.1:\(proxy.port)/artifact.tar.gz", digest: Self.digest(ofSize: 1 << 20),
                    to: folder.appendingPathComponent("download"))
            }
            #expect(error?.message.contains("failed to download artifact") == true, "\(String(describing: error))")
            #expect(proxy.requestCounts["GET"] == 2, "one retry: \(proxy.requestCounts)")
        }
    }

    @Test("redirects, other schemes, other hosts and oversized Content-Length are refused before any body is read")
    func refusals() async throws {
        try await Self.withArtifactServer(["big.tar.gz": 2048]) { proxy, port, folder in
            let file = folder.appendingPathComponent("download")
            let open = ArtifactFetcher(attempts: 1, logger: Self.logger)
            // python's http.server answers a folder without its slash with 301 to the slash: not followed.
            let redirect = await #expect(throws: KustomizationError.self) {
                try await open.fetch(url: "http://127.0.0.1:\(port)/dir", digest: Self.placeholderDigest, to: file)
            }
            #expect(redirect?.message.contains("HTTP 301") == true, "\(String(describing: redirect))")
            for url in ["file:///etc/passwd", "http+unix://%2Ftmp%2Fsock/x", "ftp://127.0.0.1/x", "http:///nohost"] {
                let refused = await #expect(throws: KustomizationError.self) {
                    try await open.fetch(url: url, digest: Self.placeholderDigest, to: file)
                }
                #expect(refused?.message.contains("only http:// and https://") == true, "\(url): \(String(describing: refused))")
            }
            let pinned = ArtifactFetcher(allowedAddresses: ["127.0.0.1:\(proxy.port)"], attempts: 1, logger: Self.logger)
            let elsewhere = await #expect(throws: KustomizationError.self) {
                try await pinned.fetch(url: "http://127.0.0.1:\(port)/big.tar.gz", digest: Self.placeholderDigest, to: file)
            }
            #expect(elsewhere?.message.contains("is not the artifact server's address") == true)
            let small = ArtifactFetcher(maxDownloadSize: 1024, attempts: 1, logger: Self.logger)
            let big = await #expect(throws: KustomizationError.self) {
                try await small.fetch(
                    url: "http://127.0.0.1:\(proxy.port)/big.tar.gz", digest: Self.digest(ofSize: 2048), to: file)
            }
            #expect(big?.message.contains("Content-Length 2048") == true, "\(String(describing: big))")
            #expect(proxy.requestCounts["GET"] == 1, "only the pinned and oversized downloads reached the proxy")
        }
    }
}
