import KubeClient
import KubeCore

/// Lists and watches one resource over HTTP with ``KubeClient``: the production ``ListWatchSource``.
///
/// Watches ask for bookmarks and end after a random 5–10 minutes (client-go's spread), after which the informer
/// resumes from the last resourceVersion. `410 Gone` maps to ``ListWatchError/gone``.
package struct KubeListWatchSource: ListWatchSource {
    package let client: KubeClient
    package let resource: GroupVersionResource
    /// `nil` watches all namespaces.
    package let namespace: String?
    /// A label selector limiting what is watched (sharding, `--watch-label-selector`).
    package let labelSelector: String?
    /// Objects per list page. Default 500.
    package let pageSize: Int

    package init(
        client: KubeClient, resource: GroupVersionResource, namespace: String? = nil, labelSelector: String? = nil,
        pageSize: Int = 500
    ) {
        self.client = client
        self.resource = resource
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.pageSize = pageSize
    }

    package var resourceDescription: String { resource.description }

    package func list(continueToken: String?) async throws -> ListPage {
        var options = QueryOptions()
        options.limit = pageSize
        options.continueToken = continueToken
        options.labelSelector = labelSelector
        do {
            let page = try await client.list(resource, namespace: namespace, options: options)
            return ListPage(items: page.items, continueToken: page.continueToken, resourceVersion: page.resourceVersion)
        } catch {
            throw Self.map(error)
        }
    }

    package func watch(resourceVersion: String) async throws -> any AsyncSequence<WatchEvent, any Error> {
        var options = QueryOptions()
        options.resourceVersion = resourceVersion
        options.allowWatchBookmarks = true
        options.labelSelector = labelSelector
        options.timeoutSeconds = Int.random(in: 300...600)
        do {
            let stream = try await client.watch(resource, namespace: namespace, options: options)
            return stream
        } catch {
            throw Self.map(error)
        }
    }

    static func map(_ error: KubeClientError) -> ListWatchError {
        if case .gone = error { return .gone }
        return .failed(reason: error.reason, message: error.message)
    }
}
