@testable import ControllerRuntime
import Foundation
import KubeClient
import KubeCore
import LocalAPIServer
import Logging
import Testing

@Suite("Event correlation without IO")
struct EventCorrelatorTests {
    private func key(_ message: String, uid: String = "u1") -> EventCorrelator.Key {
        EventCorrelator.Key(objectUID: uid, type: .normal, reason: "Progressing", message: message)
    }

    @Test("identical events bump one Event; a different message creates another")
    func aggregation() {
        var correlator = EventCorrelator()
        let now = ContinuousClock.now
        #expect(correlator.observe(key("a"), newName: "x.1", at: now) == .create(name: "x.1"))
        #expect(correlator.observe(key("a"), newName: "x.2", at: now) == .bump(name: "x.1", count: 2))
        #expect(correlator.observe(key("a"), newName: "x.3", at: now) == .bump(name: "x.1", count: 3))
        #expect(correlator.observe(key("b"), newName: "x.4", at: now) == .create(name: "x.4"))
        #expect(correlator.observe(key("a", uid: "u2"), newName: "y.1", at: now) == .create(name: "y.1"))
    }

    @Test("an object's events are dropped once its bucket is empty, and flow again after the refill")
    func spamFilter() {
        var limits = EventCorrelator.Limits()
        limits.burst = 3
        limits.refillPerSecond = 1
        var correlator = EventCorrelator(limits: limits)
        let start = ContinuousClock.now
        let decisions = (0..<5).map { correlator.observe(key("m\($0)"), newName: "n\($0)", at: start) }
        #expect(decisions.filter { $0 == .drop }.count == 2)
        #expect(correlator.observe(key("other", uid: "u9"), newName: "o", at: start) == .create(name: "o"))
        #expect(correlator.observe(key("late"), newName: "l", at: start.advanced(by: .seconds(1))) == .create(name: "l"))
    }
}

@Suite("Event recorder against the local API server")
struct KubeEventRecorderHTTPTests {
    static let configMaps = GroupVersionResource(group: "", version: "v1", resource: "configmaps")
    static let events = GroupVersionResource(group: "", version: "v1", resource: "events")

    @Test("recording the same event three times yields one Event with count 3, visible to kubectl")
    func aggregatesRepeats() async throws {
        try await LocalAPIServer.withRunning { url in
            let client = try KubeClient(config: KubeConfig(server: url.absoluteString), logger: Logger(label: "test"))
            let namespace = "events-\(UInt32.random(in: 0...UInt32.max))"
            _ = try await client.create(
                GroupVersionResource(group: "", version: "v1", resource: "namespaces"),
                ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(namespace)]])
            let object = try await client.create(
                Self.configMaps, namespace: namespace,
                ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "subject", "namespace": .string(namespace)]])
            let recorder = KubeEventRecorder(client: client, instance: "test-host", logger: Logger(label: "test"))
            for _ in 0..<3 {
                await recorder.record(.warning, reason: "BuildFailed", message: "kustomize build failed", about: object)
            }
            await recorder.record(.normal, reason: "Progressing", message: "other", about: object)

            let list = try await client.list(Self.events, namespace: namespace)
            let failed = list.items.filter { $0["reason"]?.stringValue == "BuildFailed" }
            try #require(failed.count == 1, "repeats must patch one Event, found \(failed.count)")
            let event = failed[0]
            #expect(event["count"]?.integerValue == 3)
            #expect(event["type"]?.stringValue == "Warning")
            #expect(event[path: ["involvedObject", "kind"]]?.stringValue == "ConfigMap")
            #expect(event[path: ["involvedObject", "name"]]?.stringValue == "subject")
            #expect(event[path: ["involvedObject", "uid"]] == object[path: ["metadata", "uid"]])
            #expect(event[path: ["source", "component"]]?.stringValue == "petrel-controller")
            #expect(event["reportingComponent"]?.stringValue == "petrel-controller")
            #expect(event["reportingInstance"]?.stringValue == "test-host")
            #expect(list.items.count == 2)

            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-events-\(namespace)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let kubeconfig = directory.appendingPathComponent("kubeconfig").path
            try LocalAPIServer.writeKubeconfig(for: url, to: kubeconfig)
            let output = try await Self.kubectl(["--kubeconfig", kubeconfig, "get", "events", "-n", namespace, "-o", "json"])
            let parsed = try JSONParser.parse(output)
            let seen = parsed["items"]?.arrayValue?.filter { $0["reason"]?.stringValue == "BuildFailed" } ?? []
            #expect(seen.count == 1)
            #expect(seen.first?["count"]?.integerValue == 3)
            // The local API server's Table for events has only NAME and AGE, so ask kubectl for the columns.
            let table = try await Self.kubectl([
                "--kubeconfig", kubeconfig, "get", "events", "-n", namespace, "--no-headers",
                "-o", "custom-columns=TYPE:.type,REASON:.reason,COUNT:.count,OBJECT:.involvedObject.name",
            ])
            let row = table.split(separator: "\n").first { $0.contains("BuildFailed") }?.split(separator: " ")
            #expect(row == ["Warning", "BuildFailed", "3", "subject"], "kubectl get events shows:\n\(table)")
            try await client.shutdown()
        }
    }

    @Test("a hot loop of distinct events is cut off by the per-object budget")
    func spamIsDropped() async throws {
        try await LocalAPIServer.withRunning { url in
            let client = try KubeClient(config: KubeConfig(server: url.absoluteString), logger: Logger(label: "test"))
            let object = try await client.create(
                Self.configMaps, namespace: "default",
                ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "hot", "namespace": "default"]])
            var limits = EventCorrelator.Limits()
            limits.burst = 5
            let recorder = KubeEventRecorder(client: client, limits: limits, logger: Logger(label: "test"))
            for index in 0..<20 {
                await recorder.record(.normal, reason: "Loop", message: "iteration \(index)", about: object)
            }
            let list = try await client.list(Self.events, namespace: "default")
            #expect(list.items.filter { $0["reason"]?.stringValue == "Loop" }.count == 5)
            #expect(recorder.writes == 5)
            try await client.shutdown()
        }
    }

    /// Runs kubectl on its own thread: blocking the cooperative pool could starve the in-process API server.
    static func kubectl(_ arguments: [String]) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/kubectl")
                process.arguments = arguments
                let pipe = Pipe()
                process.standardOutput = pipe
                process.standardError = FileHandle.nullDevice
                do {
                    try process.run()
                } catch {
                    continuation.resume(throwing: error)
                    return
                }
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: String(decoding: data, as: UTF8.self))
            }.start()
        }
    }
}
