@testable import ControllerRuntime
import Foundation
import KubeClient
import KubeCore
import LocalAPIServer
import Logging
import Testing

private let configMaps = GroupVersionResource(group: "", version: "v1", resource: "configmaps")
private let namespaces = GroupVersionResource(group: "", version: "v1", resource: "namespaces")

@Suite("Informer over HTTP against the local API server")
struct InformerHTTPTests {
    @Test("an informer's store follows a paginated list, then creates, updates and deletes, over HTTP")
    func followsChanges() async throws {
        try await LocalAPIServer.withRunning { url in
            let client = try KubeClient(config: KubeConfig(server: url.absoluteString), logger: Logger(label: "test"))
            do {
                let namespace = "informer-\(UInt32.random(in: 0...UInt32.max))"
                _ = try await client.create(namespaces, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(namespace)]])
                for index in 0..<20 {
                    _ = try await client.create(configMaps, namespace: namespace, Self.configMap("before-\(index)", value: "0"))
                }
                let source = KubeListWatchSource(client: client, resource: configMaps, namespace: namespace, pageSize: 7)
                let informer = Informer(source: source, logger: Logger(label: "test"))
                try await withThrowingDiscardingTaskGroup { group in
                    group.addTask { await informer.run() }
                    #expect(await eventually { informer.store.isReady && informer.store.count == 20 }, "paginated initial list")
                    for index in 0..<100 {
                        _ = try await client.create(configMaps, namespace: namespace, Self.configMap("cm-\(index)", value: "0"))
                    }
                    for index in stride(from: 0, to: 100, by: 2) {
                        _ = try await client.patch(
                            configMaps, namespace: namespace, name: "cm-\(index)", .merge(["data": ["value": "2"]]))
                    }
                    for index in 0..<20 {
                        _ = try await client.delete(configMaps, namespace: namespace, name: "before-\(index)")
                    }
                    let settled = await eventually {
                        let objects = informer.store.list()
                        return objects.count == 100
                            && objects.allSatisfy { object in
                                let name = object[path: ["metadata", "name"]]?.stringValue ?? ""
                                let index = Int(name.dropFirst(3)) ?? -1
                                return object[path: ["data", "value"]]?.stringValue == (index % 2 == 0 ? "2" : "0")
                            }
                    }
                    #expect(settled, "the store holds the final state of every object")
                    group.cancelAll()
                }
            } catch {
                try? await client.shutdown()
                throw error
            }
            try await client.shutdown()
        }
    }

    static func configMap(_ name: String, value: String) -> JSONValue {
        ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name)], "data": ["value": .string(value)]]
    }
}
