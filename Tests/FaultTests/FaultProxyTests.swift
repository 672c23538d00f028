import Foundation
import KubeClient
import KubeCore
import LocalAPIServer
import Logging
import PetrelTesting
import Synchronization
import Testing

/// The proxy itself, against the local API server: each fault does what the scenarios rely on.
@Suite("FaultProxy")
struct FaultProxyTests {
    static let configMaps = GroupVersionResource(group: "", version: "v1", resource: "configmaps")

    /// Runs `body` with a client going through a proxy in front of a local API server.
    static func withProxy(_ body: @Sendable (FaultProxy, KubeClient) async throws -> Void) async throws {
        try await LocalAPIServer.withRunning { url in
            let proxy = try await FaultProxy.start(upstreamPort: url.port ?? 0)
            var logger = Logger(label: "proxy-test")
            logger.logLevel = .critical
            let client = try KubeClient(
                config: KubeConfig(server: "http://127.0.0.1:\(proxy.port)", timeout: .seconds(20), maxRetries: 0),
                logger: logger)
            do {
                try await body(proxy, client)
            } catch {
                try? await client.shutdown()
                await proxy.stop()
                throw error
            }
            try? await client.shutdown()
            await proxy.stop()
        }
    }

    @Test("requests pass and are counted by method; injected errors carry their status and Retry-After")
    func countsAndErrors() async throws {
        try await Self.withProxy { proxy, client in
            _ = try await client.create(
                Self.configMaps, namespace: "default", ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "a"]])
            _ = try await client.get(Self.configMaps, namespace: "default", name: "a")
            #expect(proxy.requestCounts["POST"] == 1)
            #expect(proxy.requestCounts["GET"] == 1)
            for (status, reason) in [(429, "TooManyRequests"), (500, "InternalError"), (503, "ServiceUnavailable")] {
                proxy.inject(.httpError(status: status, retryAfter: 7))
                let error = await #expect(throws: KubeClientError.self) {
                    // A body on the request: the answer waits until it has been read whole.
                    _ = try await client.create(
                        Self.configMaps, namespace: "default",
                        ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "b"], "data": ["k": "v"]])
                }
                #expect(error?.status?.code == status && error?.status?.reason == reason, "\(String(describing: error))")
            }
            proxy.inject(.none)
            _ = try await client.get(Self.configMaps, namespace: "default", name: "a")
            #expect(proxy.requestCounts["POST"] == 4)
        }
    }

    @Test("refuse closes new connections; reset ends the open ones; delay holds every chunk")
    func refuseResetDelay() async throws {
        try await Self.withProxy { proxy, client in
            let stream = try await client.watch(Self.configMaps, namespace: "default")
            let ended = Mutex<KubeClientError?>(nil)
            let watcher = Task {
                do { for try await _ in stream {} } catch { ended.withLock { $0 = error as? KubeClientError } }
            }
            proxy.inject(.refuse)
            proxy.resetConnections()
            let error = try await eventually("the watch to fail") { ended.withLock { $0 } }
            #expect(error.reason == "TransportError")
            watcher.cancel()
            await #expect(throws: KubeClientError.self) {
                _ = try await client.get(Self.configMaps, namespace: "default", name: "a")
            }
            proxy.inject(.delay(.milliseconds(300)))
            let clock = ContinuousClock()
            let start = clock.now
            _ = try await client.list(Self.configMaps, namespace: "default")
            // A lower bound (request and response each held 300 ms): load only makes it longer.
            #expect(start.duration(to: clock.now) >= .milliseconds(600))
        }
    }
}
