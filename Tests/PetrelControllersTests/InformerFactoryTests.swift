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
            let unlabelled = try JSONParser.parse(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"two","namespace":"default","labels":{"app":"db"}}}"#)
            _ = try await client.create(configMaps, namespace: "default", unlabelled)
            let running = Task { await factory.run() }
            defer { running.cancel() }
            let deadline = ContinuousClock.now + .seconds(20)
            while !(factory.allSynced && first.store.count == 2 && other.store.count == 1), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(first.store.keys(index: "byApp", value: "web") == [ObjectKey(namespace: "default", name: "one")])
            #expect(first.store.keys(index: "byName", value: "one") == [ObjectKey(namespace: "default", name: "one")])
            #expect(other.store.count == 1, "the selector's informer holds only matching objects")
            #expect(other.store.get(ObjectKey(namespace: "default", name: "two")) == nil)
            running.cancel()
            await running.value
            }
        }
    }
}

@Suite("Sharding with --watch-label-selector")
struct ShardingTests {
    @Test("a factory's selector limits every informer that names none; an explicit empty selector watches all")
    func factorySelector() async throws {
        try await LocalAPIServer.withRunning { url in
            try await KubeClient.withClient(config: KubeConfig(server: url.absoluteString), logger: Logger(label: "test")) { client in
            let configMaps = GroupVersionResource(group: "", version: "v1", resource: "configmaps")
            for (name, shard) in [("a", "one"), ("b", "two"), ("c", "one")] {
                let object = try JSONParser.parse(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"\#(name)","namespace":"default","labels":{"petrel.dev/shard":"\#(shard)"}}}"#)
                _ = try await client.create(configMaps, namespace: "default", object)
            }
            let factory = InformerFactory(client: client, labelSelector: "petrel.dev/shard=one", logger: Logger(label: "test"))
            let sharded = factory.informer(for: configMaps)
            let everything = factory.informer(for: configMaps, labelSelector: "")
            let running = Task { await factory.run() }
            let deadline = ContinuousClock.now + .seconds(20)
            while !(factory.allSynced && everything.store.count == 3), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(sharded.store.list().compactMap { $0[path: ["metadata", "name"]]?.stringValue } == ["a", "c"])
            #expect(everything.store.count == 3)
            running.cancel()
            await running.value
            }
        }
    }
}
