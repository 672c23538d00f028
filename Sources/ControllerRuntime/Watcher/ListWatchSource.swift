import KubeCore

/// One page of a list response.
package struct ListPage: Sendable {
    package var items: [JSONValue]
    /// The `continue` token; `nil` or empty on the last page.
    package var continueToken: String?
    /// The list's `metadata.resourceVersion`, where a watch resumes.
    package var resourceVersion: String

    package init(items: [JSONValue], continueToken: String?, resourceVersion: String) {
        self.items = items
        self.continueToken = continueToken
        self.resourceVersion = resourceVersion
    }
}

/// How a list or watch failed, as far as an informer cares.
package enum ListWatchError: Error, Sendable, Equatable {
    /// `410 Gone`: the resourceVersion or continue token is too old; relist.
    case gone
    /// Anything else (transport, 5xx, 429, timeouts): back off and retry.
    case failed(reason: String, message: String)
}

/// Where an informer lists and watches one resource (with its selectors). The KubeClient adapter implements it
/// over HTTP; tests may implement it in memory.
package protocol ListWatchSource: Sendable {
    /// A short name for logs and metrics, e.g. `kustomize.petrel.dev/v1/kustomizations`.
    var resourceDescription: String { get }

    /// Lists one page.
    /// - Throws: ``ListWatchError``.
    func list(continueToken: String?) async throws -> ListPage

    /// Watches from `resourceVersion`, with bookmarks. The sequence ends when the server closes the stream.
    /// - Throws: ``ListWatchError``, from the call or from the sequence.
    func watch(resourceVersion: String) async throws -> any AsyncSequence<WatchEvent, any Error>
}
