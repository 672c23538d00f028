import KubeCore
import Logging
import Synchronization

/// A function applied to every object an informer lists or watches, before its store and handlers see it (e.g.
/// to drop fields no controller reads, so the cache holds less).
package typealias ObjectTransform = @Sendable (JSONValue) -> JSONValue

/// Where a ``StoreChange`` came from.
package enum ChangeOrigin: Sendable, Equatable {
    /// The informer's first complete list: every object is new to the store, nothing is known to have changed
    /// (client-go's `isInInitialList`).
    case initialList
    /// A relist after `410 Gone` or a failed watch: only objects that differ from the store (changes the watch
    /// missed, objects missing from the list) are reported.
    case relist
    /// A watch event.
    case watch
}

/// Lists and watches one resource into a ``Store`` and tells its handlers what changed.
///
/// ## Guarantees
/// - The informer is the store's only writer.
/// - After a dropped watch it resumes from the last resourceVersion seen (bookmarks included); after `410 Gone`
///   it relists and swaps the store whole, reporting objects missing from the relist as deleted.
/// - Failures back off exponentially (800 ms doubling to 30 s) with up to 20 % jitter.
/// - ``run()`` returns when the calling task is cancelled.
/// - Every listed or watched object passes through the informer's ``ObjectTransform`` before the store and the
///   handlers see it; by default ``Informer/stripManagedFields`` drops `metadata.managedFields`, which no
///   controller reads from a cache (the apply engine GETs live objects) and which is often the bulk of an object.
/// - After each full list, memory the list's decoding freed is handed back to the system (``ProcessMemory/trim()``).
///
/// ## Caveats
/// Handlers are awaited one change at a time, in order: keep them short (map to keys, add to a queue).
package final class Informer: Sendable {
    /// The informer's cache; share it with readers.
    package let store: Store
    private let source: any ListWatchSource
    private let logger: Logger
    private let handlers = Mutex<[@Sendable (StoreChange, ChangeOrigin) async -> Void]>([])
    private let relistCount = Mutex(0)
    private let transform: ObjectTransform?

    /// Removes `metadata.managedFields`, the default transform (controller-runtime's `TransformStripManagedFields`).
    /// An update written from a cached object leaves the server's managedFields as they are.
    package static let stripManagedFields: ObjectTransform = { object in
        guard object[path: ["metadata", "managedFields"]] != nil else { return object }
        var stripped = object
        stripped.set(path: ["metadata", "managedFields"], to: nil)
        return stripped
    }

    /// Creates an informer.
    /// - Parameters:
    ///   - source: where to list and watch.
    ///   - indexes: named index functions for the store.
    ///   - transform: applied to every listed and watched object before the store and the handlers see it; `nil`
    ///     keeps objects as the server sent them.
    ///   - logger: for failures and relists.
    package init(
        source: any ListWatchSource, indexes: [String: IndexFunction] = [:],
        transform: ObjectTransform? = Informer.stripManagedFields, logger: Logger
    ) {
        self.source = source
        self.store = Store(indexes: indexes)
        self.transform = transform
        self.logger = logger
    }

    /// Registers a handler for changes. Register before ``run()``; a handler added later misses earlier changes.
    package func addHandler(_ handler: @escaping @Sendable (StoreChange) async -> Void) {
        handlers.withLock { $0.append { change, _ in await handler(change) } }
    }

    /// Registers a handler for changes that is also told where each change came from (a controller queues the
    /// changes of the initial list at low priority). Register before ``run()``.
    package func addOriginHandler(_ handler: @escaping @Sendable (StoreChange, ChangeOrigin) async -> Void) {
        handlers.withLock { $0.append(handler) }
    }

    /// What the informer lists and watches (its resource), for logs and metric labels.
    package var resourceDescription: String { source.resourceDescription }

    /// How many times the informer relisted after `410 Gone` (a metric).
    package var relists: Int { relistCount.withLock { $0 } }

    /// A complete list of at least this many objects is followed by ``ProcessMemory/trim()``.
    static let trimAfterListedObjects = 1_000

    /// Runs the list/watch loop until the task is cancelled.
    package func run() async {
        var machine = WatcherStateMachine()
        var listedObjects = 0
        while !Task.isCancelled {
            switch machine.nextAction() {
            case .backoff(let delay):
                let jitter = Double.random(in: 1.0...1.2)
                try? await Task.sleep(for: delay * jitter)
            case .list(let token):
                do {
                    var page = try await source.list(continueToken: token)
                    var items = page.items
                    page.items = []
                    listedObjects += items.count
                    if let transform {
                        for index in items.indices {
                            let item = items[index]
                            items[index] = .null
                            items[index] = transform(item)
                        }
                    }
                    var events = machine.listed(
                        items: items, continueToken: page.continueToken, resourceVersion: page.resourceVersion)
                    items = []
                    let complete = events.last == .initDone
                    await deliver(&events)
                    // The list's bodies and trees are freed; give their pages back rather than keep them resident.
                    // Only after large lists: malloc_trim walks every arena and holds malloc's locks meanwhile.
                    if complete {
                        if listedObjects >= Self.trimAfterListedObjects { ProcessMemory.trim() }
                        listedObjects = 0
                    }
                } catch {
                    record(error, in: &machine, during: "list")
                }
            case .watch(let resourceVersion):
                do {
                    let stream = try await source.watch(resourceVersion: resourceVersion)
                    for try await event in stream {
                        var object = event.object
                        if let transform, Self.carriesObject(event.type.rawValue) { object = transform(object) }
                        var events = machine.received(type: event.type.rawValue, object: object)
                        await deliver(&events)
                        if case .watching = machine.state { continue }
                        break
                    }
                    machine.watchEnded()
                } catch {
                    if Task.isCancelled { return }
                    record(error, in: &machine, during: "watch")
                }
            }
            relistCount.withLock { $0 = machine.relists }
        }
    }

    private func record(_ error: any Error, in machine: inout WatcherStateMachine, during step: String) {
        if let error = error as? ListWatchError, error == .gone {
            logger.info("resourceVersion expired; relisting", metadata: ["petrel.resource": "\(source.resourceDescription)"])
            machine.gone()
        } else {
            logger.warning(
                "failed to \(step) \(source.resourceDescription); retrying",
                metadata: ["error": "\(error)"])
            machine.failed()
        }
    }

    private static func carriesObject(_ type: String) -> Bool {
        type == "ADDED" || type == "MODIFIED" || type == "DELETED"
    }

    /// Applies the events to the store and tells the handlers, dropping each event's objects as soon as they are
    /// stored and decoding one change at a time (a first list's changes are never all decoded at once).
    private func deliver(_ events: inout [WatcherEvent]) async {
        let current = handlers.withLock { $0 }
        for index in events.indices {
            let event = events[index]
            events[index] = .initStarted  // a placeholder without objects: the array no longer holds this page
            var origin = ChangeOrigin.watch
            if case .initDone = event { origin = store.isReady ? .relist : .initialList }
            let changes = store.applyDeferred(event)
            guard !current.isEmpty else { continue }
            for change in changes {
                let decoded = change.change()
                for handler in current { await handler(decoded, origin) }
            }
        }
        events = []
    }

    /// Waits until the store holds its first full list, or the task is cancelled.
    package func waitUntilReady(pollInterval: Duration = .milliseconds(20)) async {
        while !store.isReady && !Task.isCancelled {
            try? await Task.sleep(for: pollInterval)
        }
    }
}
