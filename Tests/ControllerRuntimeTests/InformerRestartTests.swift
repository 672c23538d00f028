import ControllerRuntime
import Foundation
import KubeClient
import KubeCore
import LocalAPIServer
import Logging
import Synchronization
import Testing

private let configMaps = GroupVersionResource(group: "", version: "v1", resource: "configmaps")

/// What the informer's handler saw: for each object, the values of `data.n` in the order they arrived.
private final class Observations: Sendable {
    private let seen = Mutex<[String: [Int]]>([:])

    func record(_ change: StoreChange) {
        guard case .applied(let key, _, let new) = change,
            let n = new[path: ["data", "n"]]?.stringValue.flatMap({ Int($0) })
        else { return }
        seen.withLock { $0[key.name, default: []].append(n) }
    }

    var snapshot: [String: [Int]] { seen.withLock { $0 } }
}

@Suite("Informer across API server restarts")
struct InformerRestartTests {
    static let objects = 10
    /// Updates per object made while the informer is connected (10 × 100 = 1,000 changes).
    static let connectedUpdates = 100
    /// Updates per object made while the informer cannot see the server (they reach it through a relist).
    static let offlineUpdates = 20

    @Test(
        "an informer sees all 1,000 changes in order across three API server restarts, then relists after 410 Gone",
        .timeLimit(.minutes(3)))
    func restarts() async throws {
        let dataDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("petrel-informer-restart-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dataDirectory) }
        let logger = Logger(label: "test")
        let port = try Self.freePort()
        let serverURL = "http://127.0.0.1:\(port)"
        let persistent = LocalAPIServer.Configuration(dataDirectory: dataDirectory.path)
        let namespace = "default"

        try await KubeClient.withClient(config: KubeConfig(server: serverURL), logger: logger) { client in
            let informer = Informer(
                source: KubeListWatchSource(client: client, resource: configMaps, namespace: namespace), logger: logger)
            let observations = Observations()
            informer.addHandler { observations.record($0) }
            let running = Task { await informer.run() }
            defer { running.cancel() }

            // Three phases on the same port and state: the informer resumes its watch after each restart.
            let phases = [1...34, 35...67, 68...Self.connectedUpdates]
            for (index, updates) in phases.enumerated() {
                try await LocalAPIServer.withRunning(port: port, configuration: persistent, logger: logger) { _ in
                    if index == 0 {
                        for object in 0..<Self.objects {
                            _ = try await client.create(configMaps, namespace: namespace, Self.configMap(object, n: 0))
                        }
                    }
                    for n in updates {
                        for object in 0..<Self.objects {
                            _ = try await client.patch(
                                configMaps, namespace: namespace, name: "cm-\(object)",
                                .merge(["data": ["n": .string("\(n)")]]))
                        }
                    }
                    let caughtUp = await eventually {
                        observations.snapshot.count == Self.objects
                            && observations.snapshot.values.allSatisfy { $0.last == updates.upperBound }
                    }
                    #expect(caughtUp, "the informer caught up in phase \(index + 1)")
                }
            }

            // While the informer's server is down, the same state moves on elsewhere (another port), so the
            // informer's resourceVersion falls out of the restarted server's short history: 410 Gone, relist.
            let elsewhere = try Self.freePort()
            try await LocalAPIServer.withRunning(port: elsewhere, configuration: persistent, logger: logger) { url in
                try await KubeClient.withClient(config: KubeConfig(server: url.absoluteString), logger: logger) { other in
                    for n in (Self.connectedUpdates + 1)...(Self.connectedUpdates + Self.offlineUpdates) {
                        for object in 0..<Self.objects {
                            _ = try await other.patch(
                                configMaps, namespace: namespace, name: "cm-\(object)",
                                .merge(["data": ["n": .string("\(n)")]]))
                        }
                    }
                }
            }
            var shortHistory = persistent
            shortHistory.watchHistory = 5
            let final = Self.connectedUpdates + Self.offlineUpdates
            try await LocalAPIServer.withRunning(port: port, configuration: shortHistory, logger: logger) { _ in
                let relisted = await eventually {
                    informer.store.list().count == Self.objects
                        && informer.store.list().allSatisfy { $0[path: ["data", "n"]]?.stringValue == "\(final)" }
                }
                #expect(relisted, "after 410 Gone the informer relisted and holds the final state")
                #expect(informer.relists >= 1, "the informer relisted after 410 Gone")
            }
            running.cancel()
            await running.value

            let seen = observations.snapshot
            #expect(seen.count == Self.objects)
            for (name, values) in seen.sorted(by: { $0.key < $1.key }) {
                #expect(zip(values, values.dropFirst()).allSatisfy { $0 < $1 }, "\(name): changes arrive in order")
                let connected = Set(values.filter { $0 <= Self.connectedUpdates })
                #expect(connected == Set(0...Self.connectedUpdates), "\(name): every change made while connected")
                #expect(values.last == final, "\(name): the final state")
            }
            let observed = seen.values.map { $0.filter { (1...Self.connectedUpdates).contains($0) }.count }.reduce(0, +)
            #expect(observed == Self.objects * Self.connectedUpdates)
        }
    }

    static func configMap(_ index: Int, n: Int) -> JSONValue {
        [
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string("cm-\(index)")],
            "data": ["n": .string("\(n)")],
        ]
    }

    /// A port that was free a moment ago (bind to 0, read it back, close).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
