@testable import ControllerRuntime
import KubeCore
import Logging
import Testing

/// An in-memory list/watch source: the test pushes watch events; each watch call serves one stream.
final class FeedSource: ListWatchSource, Sendable {
    let resourceDescription = "test/v1/widgets"
    let initial: [JSONValue]
    let stream: AsyncThrowingStream<WatchEvent, any Error>
    let continuation: AsyncThrowingStream<WatchEvent, any Error>.Continuation

    init(initial: [JSONValue]) {
        self.initial = initial
        (stream, continuation) = AsyncThrowingStream.makeStream(bufferingPolicy: .bufferingNewest(1_000))
    }

    func list(continueToken: String?) async throws -> ListPage {
        ListPage(items: initial, continueToken: nil, resourceVersion: "1")
    }

    func watch(resourceVersion: String) async throws -> any AsyncSequence<WatchEvent, any Error> { stream }
}

actor Calls {
    var keys: [ObjectKey] = []
    func append(_ key: ObjectKey) { keys.append(key) }
}

struct RecordingReconciler: Reconciler {
    let calls: Calls
    let result: @Sendable (ObjectKey) throws -> ReconcileResult
    func reconcile(_ key: ObjectKey, logger: Logger) async throws -> ReconcileResult {
        await calls.append(key)
        return try result(key)
    }
}

func widget(_ name: String, generation: Int64, status: String = "") -> JSONValue {
    [
        "apiVersion": "test/v1", "kind": "Widget",
        "metadata": ["name": .string(name), "namespace": "ns", "generation": .integer(generation)],
        "status": ["phase": .string(status)],
    ]
}

@Suite("Controller")
struct ControllerTests {
    @Test("reconciles listed objects and spec changes, but not status-only writes")
    func predicates() async throws {
        let source = FeedSource(initial: [widget("a", generation: 1)])
        let informer = Informer(source: source, logger: Logger(label: "test"))
        let calls = Calls()
        let controller = Controller(
            name: "widgets", informer: informer,
            reconciler: RecordingReconciler(calls: calls) { _ in .done }, concurrency: 2, logger: Logger(label: "test"))
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await informer.run() }
            group.addTask { await controller.run() }
            #expect(await eventually { await calls.keys.count == 1 })
            source.continuation.yield(WatchEvent(type: .modified, object: widget("a", generation: 1, status: "Ready")))
            source.continuation.yield(WatchEvent(type: .added, object: widget("b", generation: 1)))
            #expect(await eventually { await calls.keys.count == 2 })
            source.continuation.yield(WatchEvent(type: .modified, object: widget("a", generation: 2)))
            #expect(await eventually { await calls.keys.count == 3 })
            let keys = await calls.keys.map(\.name)
            #expect(keys == ["a", "b", "a"], "the status-only change must not have been reconciled")
            #expect(controller.metrics.snapshot.totals[.success] == 3)
            group.cancelAll()
        }
    }

    @Test("outcomes map to the queue: requeue after a delay, waiting, stalled, and errors with backoff")
    func outcomes() async {
        let informer = Informer(source: FeedSource(initial: []), logger: Logger(label: "test"))
        let controller = Controller(
            name: "widgets", informer: informer, reconciler: RecordingReconciler(calls: Calls()) { _ in .done },
            logger: Logger(label: "test"))
        let key = ObjectKey(namespace: "ns", name: "a")
        #expect(await controller.handle(.success(.requeue(after: .milliseconds(10))), for: key) == .requeueAfter)
        #expect(await controller.queue.next() == key)
        await controller.queue.done(key)
        #expect(await controller.handle(.failure(ReconcileInterruption.stalled(reason: "Invalid")), for: key) == .stalled)
        #expect(await controller.queue.statistics.depth == 0)
        struct Boom: Error {}
        #expect(await controller.handle(.failure(Boom()), for: key) == .error)
        #expect(await controller.handle(.failure(Boom()), for: key) == .error)
        #expect(await controller.queue.failureCount(key) == 2)
        #expect(await controller.handle(.failure(ReconcileInterruption.waiting(requeueAfter: .seconds(1))), for: key) == .waiting)
        #expect(await controller.queue.failureCount(key) == 0, "waiting is not a failure")
    }
}

@Suite("Change predicate")
struct ChangePredicateTests {
    @Test("generation, reconcile requests, deletion and finalizers pass; status and resourceVersion do not")
    func cases() {
        let base = widget("a", generation: 1)
        #expect(ChangePredicate.shouldReconcile(old: nil, new: base))
        #expect(!ChangePredicate.shouldReconcile(old: base, new: widget("a", generation: 1, status: "Ready")))
        #expect(ChangePredicate.shouldReconcile(old: base, new: widget("a", generation: 2)))
        var requested = base
        requested.set(path: ["metadata", "annotations", reconcileRequestAnnotation], to: "2026-11-23T10:00:00Z")
        #expect(ChangePredicate.shouldReconcile(old: base, new: requested))
        var deleting = base
        deleting.set(path: ["metadata", "deletionTimestamp"], to: "2026-11-23T10:00:00Z")
        #expect(ChangePredicate.shouldReconcile(old: base, new: deleting))
        var newerVersion = base
        newerVersion.set(path: ["metadata", "resourceVersion"], to: "99")
        #expect(!ChangePredicate.shouldReconcile(old: base, new: newerVersion))
    }
}

@Suite("Controller failures")
struct ControllerFailureTests {
    @Test("a reported failure counts as an error and is retried after its retry interval, in the lane it ran in")
    func reportedFailureKeepsTheLane() async {
        let informer = Informer(source: FeedSource(initial: []), logger: Logger(label: "test"))
        let controller = Controller(
            name: "widgets", informer: informer, reconciler: RecordingReconciler(calls: Calls()) { _ in .done },
            logger: Logger(label: "test"))
        let key = ObjectKey(namespace: "ns", name: "a")
        let failed = ReconcileInterruption.failed(reason: "BuildFailed", message: "broken", retryAfter: .seconds(600))
        for priority in [WorkPriority.high, .low] {
            await controller.queue.add(key, priority: priority)
            #expect(await controller.queue.next() == key)
            #expect(await controller.handle(.failure(failed), for: key) == .error)
            await controller.queue.done(key)
            #expect(await controller.queue.pendingPriority(key) == priority)
            #expect(await controller.queue.statistics.depth == 0, "not before the retry interval")
            #expect(await controller.queue.statistics.delayed == 1)
            await controller.queue.add(key, priority: .low)  // due now: takes the key off its timer
            #expect(await controller.queue.next() == key)
            await controller.queue.done(key)
        }
        #expect(await controller.queue.failureCount(key) == 2)
    }

    @Test("every reconcile gets its own reconcile_id in the logger's metadata")
    func reconcileIDs() {
        let informer = Informer(source: FeedSource(initial: []), logger: Logger(label: "test"))
        let controller = Controller(
            name: "widgets", informer: informer, reconciler: RecordingReconciler(calls: Calls()) { _ in .done },
            logger: Logger(label: "test"))
        let key = ObjectKey(namespace: "ns", name: "a")
        let first = controller.reconcileLogger(for: key)
        let second = controller.reconcileLogger(for: key)
        #expect(first[metadataKey: "petrel.name"] == "a")
        #expect(first[metadataKey: "petrel.controller"] == "widgets")
        let id = first[metadataKey: "petrel.reconcile_id"]
        #expect(id != nil && id != second[metadataKey: "petrel.reconcile_id"])
    }
}
