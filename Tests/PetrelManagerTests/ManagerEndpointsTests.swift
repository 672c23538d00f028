import ControllerRuntime
import Foundation
import KubeClient
import KubeCore
import LocalAPIServer
import Logging
import PetrelManager
import Testing

@Suite("Manager health and metrics endpoints against the local API server")
struct ManagerEndpointsTests {
    static let widgets = GroupVersionResource(group: "example.petrel.dev", version: "v1", resource: "widgets")

    /// Parses Prometheus text with the real `prometheus_client` parser; returns family name → (type, samples).
    static let parser = """
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        out = {}
        for family in text_string_to_metric_families(sys.stdin.read()):
            out[family.name] = {"type": family.type,
                                "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in family.samples]}
        print(json.dumps(out))
        """

    @Test(
        "/metrics parses with prometheus_client and holds the reconcile, queue and informer families",
        .enabled(if: TestEnvironment.python != nil, "needs PETREL_VENV with prometheus_client (make bootstrap)"))
    func metricsParse() async throws {
        let python = try #require(TestEnvironment.python)
        try await LocalAPIServer.withRunning { url in
            let client = try KubeClient(config: KubeConfig(server: url.absoluteString), logger: TestEnvironment.logger)
            let namespace = TestEnvironment.randomName("metrics")
            try await TestEnvironment.createNamespace(namespace, client: client)
            for index in 0..<5 {
                try await TestEnvironment.createConfigMap("cm-\(index)", namespace: namespace, client: client)
            }
            let manager = Manager(
                client: client, configuration: TestEnvironment.configuration(), logger: TestEnvironment.logger)
            let reconciler = CountingReconciler()
            manager.add(
                Controller(
                    name: "configmaps",
                    informer: manager.informers.informer(for: TestEnvironment.configMaps, namespace: namespace),
                    reconciler: reconciler, concurrency: 2, logger: TestEnvironment.logger))
            let running = RunningManager.start(manager)
            #expect(await eventually { reconciler.count >= 5 })
            #expect(await eventually { manager.metricsPort != nil })
            let port = try #require(manager.metricsPort)
            let response = try await httpGet("http://127.0.0.1:\(port)/metrics")
            #expect(response.status == 200)
            let parsed = try await runProcess(python, ["-c", Self.parser], input: response.body)
            try #require(parsed.status == 0, "prometheus_client rejected the exposition:\n\(response.body)")
            let families = try JSONParser.parse(parsed.output)
            let expected: [(String, String)] = [
                ("controller_runtime_reconcile", "counter"), ("controller_runtime_reconcile_errors", "counter"),
                ("controller_runtime_reconcile_time_seconds", "histogram"), ("workqueue_depth", "gauge"),
                ("petrel_workqueue_depth_by_priority", "gauge"),
                ("workqueue_adds", "counter"), ("workqueue_retries", "counter"),
                ("petrel_informer_relists", "counter"), ("petrel_informer_objects", "gauge"),
                ("petrel_leader", "gauge"),
            ]
            for (name, type) in expected {
                #expect(families[name]?["type"]?.stringValue == type, "family \(name) of type \(type)")
            }
            let totals = families["controller_runtime_reconcile"]?["samples"]?.arrayValue ?? []
            let success = totals.first {
                $0[path: ["labels", "controller"]]?.stringValue == "configmaps"
                    && $0[path: ["labels", "result"]]?.stringValue == "success"
            }
            #expect((success?["value"]?.doubleValue ?? 0) >= 5)
            #expect(totals.count == ReconcileOutcome.allCases.count, "every result series exists from the start")
            let buckets = families["controller_runtime_reconcile_time_seconds"]?["samples"]?.arrayValue ?? []
            let count = buckets.first { $0["name"]?.stringValue == "controller_runtime_reconcile_time_seconds_count" }
            #expect((count?["value"]?.doubleValue ?? 0) >= 5)
            let adds = families["workqueue_adds"]?["samples"]?.arrayValue?.first
            #expect(adds?[path: ["labels", "name"]]?.stringValue == "configmaps")
            #expect((adds?["value"]?.doubleValue ?? 0) >= 5)
            let objects = families["petrel_informer_objects"]?["samples"]?.arrayValue?.first
            #expect(objects?["value"]?.doubleValue == 5)
            let result = await running.stop()
            #expect((try? result.get()) != nil, "a graceful stop returns normally")
            try await client.shutdown()
        }
    }

    @Test("/healthz answers at once; /readyz only once every informer has synced")
    func readiness() async throws {
        try await LocalAPIServer.withRunning { url in
            let client = try KubeClient(config: KubeConfig(server: url.absoluteString), logger: TestEnvironment.logger)
            let manager = Manager(
                client: client, configuration: TestEnvironment.configuration(), logger: TestEnvironment.logger)
            // The resource does not exist yet: the informer cannot list, so the manager is alive but not ready.
            manager.add(
                Controller(
                    name: "widgets", informer: manager.informers.informer(for: Self.widgets),
                    reconciler: CountingReconciler(), logger: TestEnvironment.logger))
            let running = RunningManager.start(manager)
            #expect(await eventually { manager.healthPort != nil })
            let port = try #require(manager.healthPort)
            #expect(await eventually { (try? await httpGet("http://127.0.0.1:\(port)/healthz").status) == 200 })
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await httpGet("http://127.0.0.1:\(port)/readyz").status == 503)
            #expect(!manager.isReady)

            _ = try await client.create(
                GroupVersionResource(group: "apiextensions.k8s.io", version: "v1", resource: "customresourcedefinitions"),
                Self.widgetCRD)
            #expect(await eventually(.seconds(45)) { (try? await httpGet("http://127.0.0.1:\(port)/readyz").status) == 200 })
            #expect(manager.informers.allSynced)
            await running.stop()
            try await client.shutdown()
        }
    }

    @Test("a graceful stop lets an in-flight reconcile finish instead of cancelling it")
    func drainsInFlight() async throws {
        try await LocalAPIServer.withRunning { url in
            let client = try KubeClient(config: KubeConfig(server: url.absoluteString), logger: TestEnvironment.logger)
            let namespace = TestEnvironment.randomName("drain")
            try await TestEnvironment.createNamespace(namespace, client: client)
            try await TestEnvironment.createConfigMap("slow", namespace: namespace, client: client)
            let manager = Manager(
                client: client, configuration: TestEnvironment.configuration(), logger: TestEnvironment.logger)
            let reconciler = CountingReconciler(delay: .seconds(1.5))
            manager.add(
                Controller(
                    name: "slow",
                    informer: manager.informers.informer(for: TestEnvironment.configMaps, namespace: namespace),
                    reconciler: reconciler, logger: TestEnvironment.logger))
            let running = RunningManager.start(manager)
            #expect(await eventually { reconciler.count == 1 })
            let result = await running.stop()
            #expect((try? result.get()) != nil)
            #expect(reconciler.completed.withLock { $0 } == 1, "the in-flight reconcile finished")
            #expect(reconciler.cancelled.withLock { $0 } == 0)
            try await client.shutdown()
        }
    }

    @Test("a reconcile still running after the graceful shutdown timeout is cancelled")
    func drainTimeout() async throws {
        try await LocalAPIServer.withRunning { url in
            let client = try KubeClient(config: KubeConfig(server: url.absoluteString), logger: TestEnvironment.logger)
            let namespace = TestEnvironment.randomName("timeout")
            try await TestEnvironment.createNamespace(namespace, client: client)
            try await TestEnvironment.createConfigMap("stuck", namespace: namespace, client: client)
            var configuration = TestEnvironment.configuration()
            configuration.gracefulShutdownTimeout = .milliseconds(300)
            let manager = Manager(client: client, configuration: configuration, logger: TestEnvironment.logger)
            let reconciler = CountingReconciler(delay: .seconds(60))
            manager.add(
                Controller(
                    name: "stuck",
                    informer: manager.informers.informer(for: TestEnvironment.configMaps, namespace: namespace),
                    reconciler: reconciler, logger: TestEnvironment.logger))
            let running = RunningManager.start(manager)
            #expect(await eventually { reconciler.count == 1 })
            // The reconcile would run for 60 s: the stop ends it by cancelling it after the 300 ms timeout. The bound
            // only catches a hang (how long a stop takes is measured by `make chaos`, not asserted here).
            let stopped = await running.stop(within: .seconds(45))
            #expect(stopped != nil, "the stop waited for the 60 s reconcile instead of cancelling it")
            #expect((try? stopped?.get()) != nil, "a graceful stop returns normally")
            #expect(reconciler.cancelled.withLock { $0 } == 1)
            #expect(reconciler.completed.withLock { $0 } == 0)
            try await client.shutdown()
        }
    }

    static let widgetCRD: JSONValue = [
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": ["name": "widgets.example.petrel.dev"],
        "spec": [
            "group": "example.petrel.dev", "scope": "Namespaced",
            "names": ["plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"],
            "versions": [
                [
                    "name": "v1", "served": true, "storage": true,
                    "schema": [
                        "openAPIV3Schema": ["type": "object", "x-kubernetes-preserve-unknown-fields": true]
                    ],
                ]
            ],
        ],
    ]
}
