import ArgumentParser
import ControllerRuntime
import Foundation
import KubeClient
import KubeCore
import Logging
import Synchronization

/// `petrel-controller bench-runtime` (hidden): the controller-runtime figures of issue #3, measured against the
/// API server of `--kubeconfig` (scripts/bench.sh starts a local one). Never part of `make test`.
///
/// Phases (`--phase`, one per process so that memory figures are not polluted by the others):
/// - `latency`: event→reconcile latency (create request sent → reconcile started), p50 and p99 over `--objects`.
/// - `throughput`: no-op reconciles per second at concurrency 1 and 4 (keys re-queued in rounds).
/// - `seed`: creates `--cache-objects` ConfigMaps of 1 KiB in a fresh namespace and prints `namespace <name>`.
/// - `rss`: resident memory of an informer cache of the ConfigMaps of `--namespace` (seeded by another process, so
///   that the creates' garbage does not count): at start, with a client, after the informer synced; the bytes
///   held per object; and where the resident memory is (anonymous heap, each mapped file, threads).
struct RuntimeBenchmarkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-runtime", abstract: "Measure the controller runtime (benchmarks only).",
        shouldDisplay: false)

    @Option(name: .customLong("kubeconfig"), help: "Kubeconfig of the API server to measure against.")
    var kubeconfig: String

    @Option(name: .customLong("phase"), help: "latency, throughput or rss.")
    var phase: String

    @Option(name: .customLong("objects"), help: "Objects for the latency and throughput phases.")
    var objects = 1_000

    @Option(name: .customLong("cache-objects"), help: "ConfigMaps for the seed phase.")
    var cacheObjects = 10_000

    @Option(name: .customLong("namespace"), help: "The seeded namespace (rss phase).")
    var namespace: String?

    static let configMaps = GroupVersionResource(group: "", version: "v1", resource: "configmaps")

    func run() async throws {
        let start = Self.resident()
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        var config = try KubeConfig.load(paths: [kubeconfig])
        config.qps = 100_000
        config.burst = 100_000
        let client = try KubeClient(config: config, logger: logger)
        if phase == "rss" {
            guard let namespace else { throw ValidationError("--phase rss needs --namespace (from --phase seed)") }
            try await rss(client: client, namespace: namespace, start: start, logger: logger)
            try await client.shutdown()
            return
        }
        let namespace = "bench-\(phase)-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        _ = try await client.create(
            GroupVersionResource(group: "", version: "v1", resource: "namespaces"),
            ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(namespace)]])
        switch phase {
        case "latency": try await latency(client: client, namespace: namespace, logger: logger)
        case "throughput": try await throughput(client: client, namespace: namespace, logger: logger)
        case "seed":
            try await createAll(cacheObjects, client: client, namespace: namespace, payloadBytes: 1_024)
            print("namespace \(namespace)")
        default: throw ValidationError("--phase must be latency, throughput, seed or rss")
        }
        try await client.shutdown()
    }

    private static func configMap(_ name: String, namespace: String, payloadBytes: Int = 16) -> JSONValue {
        [
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "data": ["payload": .string(String(repeating: "x", count: payloadBytes))],
        ]
    }

    private func createAll(_ count: Int, client: KubeClient, namespace: String, payloadBytes: Int = 16) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for index in stride(from: worker, to: count, by: 8) {
                        _ = try await client.create(
                            Self.configMaps, namespace: namespace,
                            Self.configMap("cm-\(index)", namespace: namespace, payloadBytes: payloadBytes))
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    private func latency(client: KubeClient, namespace: String, logger: Logger) async throws {
        let informers = InformerFactory(client: client, logger: logger)
        let started = Shared<[ObjectKey: ContinuousClock.Instant]>([:])
        let reconciler = ClosureReconciler { key in
            started.withLock { if $0[key] == nil { $0[key] = .now } }
        }
        let controller = Controller(
            name: "bench", informer: informers.informer(for: Self.configMaps, namespace: namespace),
            reconciler: reconciler, concurrency: 4, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await informers.run() }
            group.addTask { await controller.run() }
            await controller.informer.waitUntilReady()
            var sent: [ObjectKey: ContinuousClock.Instant] = [:]
            for index in 0..<objects {
                let key = ObjectKey(namespace: namespace, name: "cm-\(index)")
                sent[key] = .now
                _ = try await client.create(Self.configMaps, namespace: namespace, Self.configMap(key.name, namespace: namespace))
            }
            let deadline = ContinuousClock.now.advanced(by: .seconds(120))
            while started.withLock({ $0.count }) < objects && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            let seen = started.withLock { $0 }
            let latencies = sent.compactMap { key, at in seen[key].map { Self.milliseconds(at.duration(to: $0)) } }.sorted()
            print(
                "event->reconcile latency over \(latencies.count)/\(objects) objects: p50 \(Self.percentile(latencies, 0.5)) ms, "
                    + "p99 \(Self.percentile(latencies, 0.99)) ms")
            group.cancelAll()
        }
    }

    private func throughput(client: KubeClient, namespace: String, logger: Logger) async throws {
        try await createAll(objects, client: client, namespace: namespace)
        for concurrency in [1, 4] {
            let informers = InformerFactory(client: client, logger: logger)
            let done = Shared(0)
            let informer = informers.informer(for: Self.configMaps, namespace: namespace)
            let store = informer.store
            let reconciler = ClosureReconciler { key in
                _ = store.get(key)
                done.withLock { $0 += 1 }
            }
            let controller = Controller(
                name: "bench", informer: informer, reconciler: reconciler, concurrency: concurrency, logger: logger)
            let rounds = 10
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await informers.run() }
                group.addTask { await controller.run() }
                await informer.waitUntilReady()
                while done.withLock({ $0 }) < objects { try await Task.sleep(for: .milliseconds(5)) }
                let keys = (0..<objects).map { ObjectKey(namespace: namespace, name: "cm-\($0)") }
                let clock = ContinuousClock()
                let start = clock.now
                for round in 1...rounds {
                    for key in keys { await controller.queue.add(key) }
                    while done.withLock({ $0 }) < objects * (round + 1) { await Task.yield() }
                }
                let elapsed = Self.milliseconds(start.duration(to: clock.now)) / 1_000
                let rate = Double(objects * rounds) / elapsed
                print("no-op reconciles/s at concurrency \(concurrency): \(Int(rate)) (\(objects * rounds) reconciles)")
                group.cancelAll()
            }
        }
    }

    private func rss(client: KubeClient, namespace: String, start: String, logger: Logger) async throws {
        // One request first, so the client's connection pool and TLS-free HTTP stack count as "with a client".
        _ = try await client.list(Self.configMaps, namespace: namespace, options: Self.oneItem)
        ProcessMemory.trim()
        let clientKiB = ProcessMemory.statusField("VmRSS:")
        let withClient = Self.resident()
        let informers = InformerFactory(client: client, logger: logger)
        let informer = informers.informer(for: Self.configMaps, namespace: namespace)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await informers.run() }
            await informer.waitUntilReady()
            try await Task.sleep(for: .milliseconds(500))
            let syncedKiB = ProcessMemory.statusField("VmRSS:")
            let count = informer.store.count
            print(
                "informer cache of \(count) ConfigMaps (1 KiB each): RSS after sync \(Self.resident()); "
                    + "at start \(start); with a client \(withClient); "
                    + "\((syncedKiB - clientKiB) * 1_024 / max(count, 1)) bytes per cached object")
            print(Self.residentBreakdown())
            group.cancelAll()
        }
    }

    private static var oneItem: QueryOptions {
        var options = QueryOptions()
        options.limit = 1
        return options
    }

    /// `RSS MiB (anonymous + file-backed)` now.
    private static func resident() -> String {
        "\(mebibytes(ProcessMemory.statusField("VmRSS:"))) MiB (anon \(mebibytes(ProcessMemory.statusField("RssAnon:"))) "
            + "+ file \(mebibytes(ProcessMemory.statusField("RssFile:"))))"
    }

    private static func mebibytes(_ kiB: Int) -> String { String(format: "%.1f", Double(kiB) / 1_024) }

    /// Where the resident memory is: anonymous (heap, stacks) versus file-backed, the largest mapped files, threads.
    static func residentBreakdown() -> String {
        let anonymous = ProcessMemory.statusField("RssAnon:")
        let files = ProcessMemory.statusField("RssFile:")
        let threads = ProcessMemory.statusField("Threads:")
        let byFile = ProcessMemory.residentByMapping()
        let top = byFile.sorted { $0.value > $1.value }.prefix(8).map { "\($0.key) \(mebibytes($0.value))" }
        return "  resident: anonymous \(mebibytes(anonymous)) MiB, file-backed \(mebibytes(files)) MiB, "
            + "\(threads) threads; largest mappings (MiB): \(top.joined(separator: ", "))"
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1_000 + Double(duration.components.attoseconds) / 1e15
    }

    static func percentile(_ sorted: [Double], _ fraction: Double) -> String {
        guard !sorted.isEmpty else { return "n/a" }
        let index = min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)
        return String(format: "%.2f", sorted[max(0, index)])
    }
}

/// A reconciler made of a closure (benchmarks).
private struct ClosureReconciler: Reconciler {
    let body: @Sendable (ObjectKey) async -> Void
    init(_ body: @escaping @Sendable (ObjectKey) async -> Void) { self.body = body }
    func reconcile(_ key: ObjectKey, logger: Logger) async throws -> ReconcileResult {
        await body(key)
        return .done
    }
}

/// A value shared between tasks behind a lock (benchmarks).
private final class Shared<Value: Sendable>: Sendable {
    private let state: Mutex<Value>
    init(_ value: Value) { state = Mutex(value) }
    func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result { state.withLock { body(&$0) } }
}
