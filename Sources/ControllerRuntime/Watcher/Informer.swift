import KubeCore
import Logging
import Synchronization

/// Lists and watches one resource into a ``Store`` and tells its handlers what changed.
///
/// ## Guarantees
/// - The informer is the store's only writer.
/// - After a dropped watch it resumes from the last resourceVersion seen (bookmarks included); after `410 Gone`
///   it relists and swaps the store whole, reporting objects missing from the relist as deleted.
/// - Failures back off exponentially (800 ms doubling to 30 s) with up to 20 % jitter.
/// - ``run()`` returns when the calling task is cancelled.
///
/// ## Caveats
/// Handlers are awaited one change at a time, in order: keep them short (map to keys, add to a queue).
package final class Informer: Sendable {
    /// The informer's cache; share it with readers.
    package let store: Store
    private let source: any ListWatchSource
    private let logger: Logger
    private let handlers = Mutex<[@Sendable (StoreChange) async -> Void]>([])
    private let relistCount = Mutex(0)

    /// Creates an informer.
    /// - Parameters:
    ///   - source: where to list and watch.
    ///   - indexes: named index functions for the store.
    ///   - logger: for failures and relists.
    package init(source: any ListWatchSource, indexes: [String: IndexFunction] = [:], logger: Logger) {
        self.source = source
        self.store = Store(indexes: indexes)
        self.logger = logger
    }

    /// Registers a handler for changes. Register before ``run()``; a handler added later misses earlier changes.
    package func addHandler(_ handler: @escaping @Sendable (StoreChange) async -> Void) {
        handlers.withLock { $0.append(handler) }
    }

    /// What the informer lists and watches (its resource), for logs and metric labels.
    package var resourceDescription: String { source.resourceDescription }

    /// How many times the informer relisted after `410 Gone` (a metric).
    package var relists: Int { relistCount.withLock { $0 } }

    /// Runs the list/watch loop until the task is cancelled.
    package func run() async {
        var machine = WatcherStateMachine()
        while !Task.isCancelled {
            switch machine.nextAction() {
            case .backoff(let delay):
                let jitter = Double.random(in: 1.0...1.2)
                try? await Task.sleep(for: delay * jitter)
            case .list(let token):
                do {
                    let page = try await source.list(continueToken: token)
                    let events = machine.listed(
                        items: page.items, continueToken: page.continueToken, resourceVersion: page.resourceVersion)
                    await deliver(events)
                } catch {
                    record(error, in: &machine, during: "list")
                }
            case .watch(let resourceVersion):
                do {
                    let stream = try await source.watch(resourceVersion: resourceVersion)
                    for try await event in stream {
                        await deliver(machine.received(type: event.type.rawValue, object: event.object))
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

    private func deliver(_ events: [WatcherEvent]) async {
        let current = handlers.withLock { $0 }
        for event in events {
            let changes = store.apply(event)
            for change in changes {
                for handler in current { await handler(change) }
            }
        }
    }

    /// Waits until the store holds its first full list, or the task is cancelled.
    package func waitUntilReady(pollInterval: Duration = .milliseconds(20)) async {
        while !store.isReady && !Task.isCancelled {
            try? await Task.sleep(for: pollInterval)
        }
    }
}
