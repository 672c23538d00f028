@testable import ControllerRuntime
import Foundation
import KubeClient
import KubeCore
import LocalAPIServer
import Logging
import Testing

private let configMaps = GroupVersionResource(group: "", version: "v1", resource: "configmaps")
private let namespaces = GroupVersionResource(group: "", version: "v1", resource: "namespaces")

/// Every reconcile in order, with whether the watched object's update was already in the informer's store.
private actor Trace {
    struct Entry: Sendable {
        var name: String
        var updateVisible: Bool
    }

    var entries: [Entry] = []
    func append(_ entry: Entry) { entries.append(entry) }
    var count: Int { entries.count }
}

/// A slow reconciler that asks for a drift check 1 ms later, so every other key sits in the queue as a LOW timer key.
/// The watched object asks for none: only its update can queue it again (at the back of its lane).
private struct DriftingReconciler: Reconciler {
    let store: Store
    let watched: ObjectKey
    let trace: Trace

    func reconcile(_ key: ObjectKey, logger: Logger) async throws -> ReconcileResult {
        let visible = store.get(watched)?[path: ["metadata", "labels", "bump"]] != nil
        await trace.append(Trace.Entry(name: key.name, updateVisible: visible))
        try await Task.sleep(for: .milliseconds(15))
        return key == watched ? .done : .requeue(after: .milliseconds(1))
    }
}

@Suite("Controller priorities")
struct ControllerPriorityTests {
    @Test("initial-list keys are LOW; predicate-passing events, reconcile requests and mapped events are HIGH; requeueAfter is LOW")
    func prioritiesOfAdds() async throws {
        let own = FeedSource(initial: [widget("a", generation: 1), widget("b", generation: 1)])
        let sources = FeedSource(initial: [widget("source", generation: 1)])
        let informer = Informer(source: own, logger: Logger(label: "test"))
        let sourceInformer = Informer(source: sources, logger: Logger(label: "test"))
        let controller = Controller(
            name: "widgets", informer: informer, reconciler: RecordingReconciler(calls: Calls()) { _ in .done },
            logger: Logger(label: "test"))
        let mapped = ObjectKey(namespace: "ns", name: "c")
        controller.watch(sourceInformer) { _ in [mapped] }
        let queue = controller.queue
        @Sendable func key(_ name: String) -> ObjectKey { ObjectKey(namespace: "ns", name: name) }
        // The workers are not started: the test reads the queue as the informers' handlers left it.
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await informer.run() }
            group.addTask { await sourceInformer.run() }
            #expect(await eventually { await queue.statistics.depth == 3 })
            #expect(await queue.pendingPriority(key("a")) == .low, "initial list")
            #expect(await queue.pendingPriority(key("b")) == .low, "initial list")
            #expect(await queue.pendingPriority(mapped) == .low, "mapped from the other informer's initial list")

            own.continuation.yield(WatchEvent(type: .modified, object: widget("a", generation: 2)))
            own.continuation.yield(WatchEvent(type: .modified, object: widget("b", generation: 1, status: "Ready")))
            own.continuation.yield(WatchEvent(type: .added, object: widget("d", generation: 1)))
            #expect(await eventually { await queue.pendingPriority(key("d")) == .high })
            #expect(await queue.pendingPriority(key("a")) == .high, "a new generation is an event")
            #expect(await queue.pendingPriority(key("b")) == .low, "a status-only write is not an event")

            var requested = widget("b", generation: 1, status: "Ready")
            requested.set(path: ["metadata", "annotations", reconcileRequestAnnotation], to: "2026-11-23T18:00:00Z")
            own.continuation.yield(WatchEvent(type: .modified, object: requested))
            #expect(await eventually { await queue.pendingPriority(key("b")) == .high }, "a reconcile request")

            sources.continuation.yield(WatchEvent(type: .modified, object: widget("source", generation: 2)))
            #expect(await eventually { await queue.pendingPriority(mapped) == .high }, "a mapped event of the other kind")

            let timer = key("timer")
            #expect(await controller.handle(.success(.requeue(after: .seconds(600))), for: timer) == .requeueAfter)
            #expect(await queue.pendingPriority(timer) == .low)
            #expect(await controller.handle(.failure(ReconcileInterruption.waiting(requeueAfter: .seconds(600))), for: key("dependent")) == .waiting)
            #expect(await queue.pendingPriority(key("dependent")) == .low)

            let statistics = await queue.statistics
            #expect(statistics.highDepth == 4)
            #expect(statistics.lowDepth == 0)
            #expect(statistics.upgrades == 3)
            var order: [String] = []
            for _ in 0..<4 {
                guard let next = await queue.next() else { break }
                order.append(next.name)
            }
            #expect(order == ["a", "d", "b", "c"], "FIFO within HIGH, in the order the events arrived")
            group.cancelAll()
        }
    }

    @Test("over HTTP, an update to one object is reconciled before a backlog of timer-requeued keys")
    func eventOvertakesDriftChecks() async throws {
        try await LocalAPIServer.withRunning { url in
            let client = try KubeClient(config: KubeConfig(server: url.absoluteString), logger: Logger(label: "test"))
            do {
                try await Self.runBacklogScenario(client: client)
            } catch {
                try? await client.shutdown()
                throw error
            }
            try await client.shutdown()
        }
    }

    private static func runBacklogScenario(client: KubeClient) async throws {
        let namespace = "priority-\(UInt32.random(in: 0...UInt32.max))"
        _ = try await client.create(namespaces, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(namespace)]])
        let objects = 30
        for index in 0..<objects {
            let object: JSONValue = [
                "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string("cm-\(index)")],
                "data": ["value": "0"],
            ]
            _ = try await client.create(configMaps, namespace: namespace, object)
        }
        let informer = Informer(
            source: KubeListWatchSource(client: client, resource: configMaps, namespace: namespace), logger: Logger(label: "test"))
        let watched = ObjectKey(namespace: namespace, name: "cm-7")
        let trace = Trace()
        let controller = Controller(
            name: "configmaps", informer: informer,
            reconciler: DriftingReconciler(store: informer.store, watched: watched, trace: trace), concurrency: 1,
            logger: Logger(label: "test"))
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await informer.run() }
            group.addTask { await controller.run() }
            // Two full rounds: from then on every key but the one in flight waits as a LOW timer key.
            #expect(await eventually { await trace.count >= 2 * objects })
            let backlog = await controller.queue.statistics
            try #require(backlog.lowDepth >= objects - 5, "a backlog of drift checks: \(backlog)")
            #expect(await controller.queue.pendingPriority(watched) == nil, "the watched object waits for its update")
            #expect(backlog.highDepth == 0)
            _ = try await client.patch(
                configMaps, namespace: namespace, name: watched.name, .merge(["metadata": ["labels": ["bump": "1"]]]))
            let reconciled = await eventually {
                await trace.entries.contains { $0.name == watched.name && $0.updateVisible }
            }
            #expect(reconciled, "the updated object was reconciled")
            let after = await trace.entries.filter(\.updateVisible)
            let overtaken = after.prefix { $0.name != watched.name }.map(\.name)
            // Only a reconcile that started between the store's update and the queue's add can come first; without
            // the HIGH lane the update would wait behind every drift check queued (about 28).
            #expect(overtaken.count <= 2, "reconciled before the update: \(overtaken)")
            group.cancelAll()
        }
    }
}

/// Lists `a` first, then `a` (new generation) and `b`; the first watch adds `c` and fails with `410 Gone`, the
/// second stays open.
private final class RelistingSource: ListWatchSource, Sendable {
    let resourceDescription = "test/v1/widgets"
    private let lists = Locked(0)
    private let watches = Locked(0)
    private let open = Locked<AsyncThrowingStream<WatchEvent, any Error>.Continuation?>(nil)

    func list(continueToken: String?) async throws -> ListPage {
        let count = lists.withLock { count in
            count += 1
            return count
        }
        let items = count == 1 ? [widget("a", generation: 1)] : [widget("a", generation: 2), widget("b", generation: 1)]
        return ListPage(items: items, continueToken: nil, resourceVersion: "\(count)")
    }

    func watch(resourceVersion: String) async throws -> any AsyncSequence<WatchEvent, any Error> {
        let count = watches.withLock { count in
            count += 1
            return count
        }
        let (stream, continuation) = AsyncThrowingStream<WatchEvent, any Error>.makeStream()
        if count == 1 {
            continuation.yield(WatchEvent(type: .added, object: widget("c", generation: 1)))
            continuation.finish(throwing: ListWatchError.gone)
        } else {
            open.withLock { $0 = continuation }
        }
        return stream
    }
}

@Suite("Informer change origins")
struct InformerChangeOriginTests {
    @Test("handlers learn whether a change came from the initial list, a watch event or a relist")
    func origins() async throws {
        let informer = Informer(source: RelistingSource(), logger: Logger(label: "test"))
        let seen = Locked<[String: [ChangeOrigin]]>([:])
        informer.addOriginHandler { change, origin in
            let label = if case .deleted = change { "\(change.key.name)-deleted" } else { change.key.name }
            seen.withLock { $0[label, default: []].append(origin) }
        }
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await informer.run() }
            #expect(await eventually { seen.withLock { $0.values.map(\.count).reduce(0, +) } >= 5 })
            let origins = seen.withLock { $0 }
            #expect(origins["a"] == [.initialList, .relist])
            #expect(origins["c"] == [.watch])
            #expect(origins["c-deleted"] == [.relist], "missing from the relist")
            #expect(origins["b"] == [.relist])
            #expect(Controller.priority(of: .initialList) == .low)
            #expect(Controller.priority(of: .watch) == .high)
            #expect(Controller.priority(of: .relist) == .high, "a relist reports only what the watch missed")
            group.cancelAll()
        }
    }
}
