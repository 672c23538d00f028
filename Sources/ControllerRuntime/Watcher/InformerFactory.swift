import KubeClient
import KubeCore
import Logging
import Synchronization

/// Hands out one shared ``Informer`` per resource and label selector, however many controllers ask for it, and
/// runs them all.
///
/// ## Guarantees
/// - Two requests for the same resource, namespace and selector get the same informer (and the same store).
/// - Indexes requested by each caller are added to the shared store.
/// - ``run()`` runs every informer handed out before it was called, until the task is cancelled.
///
/// ## Caveats
/// Ask for every informer before ``run()``; one handed out later is not started.
package final class InformerFactory: Sendable {
    private struct Key: Hashable {
        var resource: GroupVersionResource
        var namespace: String?
        var labelSelector: String?
    }

    private let client: KubeClient
    private let defaultLabelSelector: String?
    private let transform: ObjectTransform?
    private let logger: Logger
    private let informers = Mutex<[Key: Informer]>([:])

    /// Creates a factory.
    /// - Parameters:
    ///   - client: the client every informer lists and watches with.
    ///   - labelSelector: applied to every informer that does not name its own (`--watch-label-selector`).
    ///   - transform: applied by every informer to the objects it lists and watches; by default
    ///     `metadata.managedFields` are dropped (see ``Informer/stripManagedFields``).
    ///   - logger: passed to the informers.
    package init(
        client: KubeClient, labelSelector: String? = nil,
        transform: ObjectTransform? = Informer.stripManagedFields, logger: Logger
    ) {
        self.client = client
        self.defaultLabelSelector = labelSelector
        self.transform = transform
        self.logger = logger
    }

    /// The shared informer of `resource`, created on first use, with `indexes` added to its store.
    /// - Parameters:
    ///   - namespace: `nil` for all namespaces.
    ///   - labelSelector: overrides the factory's selector (e.g. `nil` selector for secondary kinds is still the
    ///     factory's; pass `""` for none).
    package func informer(
        for resource: GroupVersionResource, namespace: String? = nil, labelSelector: String? = nil,
        indexes: [String: IndexFunction] = [:]
    ) -> Informer {
        let selector = labelSelector ?? defaultLabelSelector
        let key = Key(resource: resource, namespace: namespace, labelSelector: selector?.isEmpty == true ? nil : selector)
        let informer = informers.withLock { informers in
            if let existing = informers[key] { return existing }
            var informerLogger = logger
            informerLogger[metadataKey: "petrel.resource"] = "\(resource)"
            let created = Informer(
                source: KubeListWatchSource(
                    client: client, resource: resource, namespace: namespace, labelSelector: key.labelSelector),
                transform: transform, logger: informerLogger)
            informers[key] = created
            return created
        }
        for (name, function) in indexes { informer.store.addIndex(name, function) }
        return informer
    }

    /// Every informer handed out so far.
    package var all: [Informer] { informers.withLock { Array($0.values) } }

    /// Whether every informer holds its first full list (for `/readyz`).
    package var allSynced: Bool { all.allSatisfy { $0.store.isReady } }

    /// Runs every informer until the task is cancelled.
    package func run() async {
        let informers = all
        await withDiscardingTaskGroup { group in
            for informer in informers {
                group.addTask { await informer.run() }
            }
        }
    }
}
