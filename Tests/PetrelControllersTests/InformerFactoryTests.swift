import ControllerRuntime
import KubeClient
import KubeCore
import LocalAPIServer
import Logging
import Testing

@Suite("Shared informers")
struct InformerFactoryTests {
    @Test("the same resource and selector give one informer whose store carries every caller's index")
    func sharedInformer() async throws {
        try await LocalAPIServer.withRunning { url in
            try await KubeClient.withClient(config: KubeConfig(server: url.absoluteString), logger: Logger(label: "test")) { client in
            let factory = InformerFactory(client: client, logger: Logger(label: "test"))
            let configMaps = GroupVersionResource(group: "", version: "v1", resource: "configmaps")
            let first = factory.informer(for: configMaps, indexes: ["byApp": { [$0[path: ["metadata", "labels", "app"]]?.stringValue ?? ""] }])
            let second = factory.informer(for: configMaps, indexes: ["byName": { [$0[path: ["metadata", "name"]]?.stringValue ?? ""] }])
            #expect(first === second)
            #expect(factory.all.count == 1)
            let other = factory.informer(for: configMaps, labelSelector: "app=web")
            #expect(other !== first)

            let object = try JSONParser.parse(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"one","namespace":"default","labels":{"app":"web"}}}"#)
            _ = try await client.create(configMaps, namespace: "default", object)
            let running = Task { await factory.run() }
            defer { running.cancel() }
            let deadline = ContinuousClock.now + .seconds(20)
            while !(factory.allSynced && first.store.count == 1), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(first.store.keys(index: "byApp", value: "web") == [ObjectKey(namespace: "default", name: "one")])
            #expect(first.store.keys(index: "byName", value: "one") == [ObjectKey(namespace: "default", name: "one")])
            #expect(other.store.count == 1)
            running.cancel()
            await running.value
            }
        }
    }
}
