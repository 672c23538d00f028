import Foundation
import KubeClient
import KubeCore
import LocalAPIServer
import Logging
@testable import PetrelManager
import PetrelTesting
import Synchronization
import Testing

/// Review finding S12: with two replicas the artifact Service must reach the leader only; the leader labels its pod.
@Suite("Leader pod label")
struct LeaderPodLabelTests {
    final class Leading: Sendable {
        let value = Mutex(false)
    }

    @Test("the label follows leadership, starts removed and is removed again when the service stops")
    func followsLeadership() async throws {
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        try await LocalAPIServer.withRunning(logger: logger) { url in
            try await KubeClient.withClient(config: KubeConfig(server: url.absoluteString), logger: logger) { client in
                let pods = GroupVersionResource(group: "", version: "v1", resource: "pods")
                _ = try await client.create(
                    GroupVersionResource(group: "", version: "v1", resource: "namespaces"),
                    ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "petrel-system"]])
                _ = try await client.create(
                    pods, namespace: "petrel-system",
                    [
                        "apiVersion": "v1", "kind": "Pod",
                        // A pod left labelled by a crashed predecessor.
                        "metadata": ["name": "petrel-0", "namespace": "petrel-system", "labels": [LeaderPodLabel.key: "true"]],
                        "spec": ["containers": [["name": "c", "image": "x"]]],
                    ])
                func label() async throws -> String? {
                    try await client.get(pods, namespace: "petrel-system", name: "petrel-0")[
                        path: ["metadata", "labels", LeaderPodLabel.key]]?.stringValue
                }
                let leading = Leading()
                let service = LeaderPodLabel(
                    client: client, namespace: "petrel-system", name: "petrel-0", tick: .milliseconds(50),
                    logger: logger
                ) { leading.value.withLock { $0 } }
                let running = Task { try await service.run() }
                _ = try await eventually("label removed at start-up") { try await label() == nil ? true : nil }
                leading.value.withLock { $0 = true }
                _ = try await eventually("label set while leading") { try await label() == "true" ? true : nil }
                leading.value.withLock { $0 = false }
                _ = try await eventually("label removed on losing") { try await label() == nil ? true : nil }
                leading.value.withLock { $0 = true }
                _ = try await eventually("label set again") { try await label() == "true" ? true : nil }
                running.cancel()
                try await running.value
                #expect(try await label() == nil, "removed when the service stops")
            }
        }
    }
}
