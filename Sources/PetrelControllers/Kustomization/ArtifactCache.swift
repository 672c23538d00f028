import Foundation

/// Extracted source artifacts shared by every reconcile of a controller, keyed by their verified digest.
///
/// Two hundred Kustomizations of one GitRepository used to download and extract the same archive two hundred times;
/// with the cache the first reconcile of a revision downloads, verifies and extracts it, and the others read the
/// same folder (concurrent reconciles of a digest being loaded wait for that one load).
///
/// ## Guarantees
/// - A folder is only ever filled by a load that verified the archive's digest; a failed load is not cached, so
///   the next reconcile tries again.
/// - A folder in use (between ``acquire(digest:load:)`` and ``release(digest:)``) is never removed.
/// - At most ``idleCapacity`` unused revisions are kept; the least recently used beyond that are deleted. The
///   whole folder is deleted with the cache.
/// - Readers must not write into the folder (the kustomize build reads only; overrides are applied in memory).
package actor ArtifactCache {
    private struct Slot {
        var load: Task<URL, any Error>
        var users: Int
        var lastUsed: UInt64
        var loaded: Bool
    }

    /// The folder holding one subfolder per cached digest.
    package nonisolated let directory: URL
    /// How many unused revisions are kept extracted. Default 2.
    package nonisolated let idleCapacity: Int
    private var slots: [String: Slot] = [:]
    private var tick: UInt64 = 0

    /// A cache under a new folder of the temporary directory.
    package init(directory: URL? = nil, idleCapacity: Int = 2) {
        self.directory =
            directory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("petrel-artifacts-\(UUID().uuidString)")
        self.idleCapacity = max(0, idleCapacity)
    }

    /// The cache's folder goes with it (the controller stopped).
    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// The folder of `digest`, loading it with `load` (which fills the given empty folder) unless it is cached or
    /// being loaded. Pair every successful call with ``release(digest:)``.
    ///
    /// - Throws: ``KustomizationError/artifactFailed(_:)`` for a digest that is not `sha256:<64 lowercase hex>`
    ///   (two spellings must never share a folder, nor a load delete a folder in use), or what `load` throws.
    package func acquire(
        digest: String, load: @escaping @Sendable (URL) async throws -> Void
    ) async throws -> URL {
        try ArtifactFetcher.validate(digest: digest)
        tick += 1
        if slots[digest] == nil {
            let folder = directory.appendingPathComponent(Self.folderName(digest))
            let task = Task<URL, any Error> {
                try? FileManager.default.removeItem(at: folder)
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                do {
                    try await load(folder)
                } catch {
                    try? FileManager.default.removeItem(at: folder)
                    throw error
                }
                return folder
            }
            slots[digest] = Slot(load: task, users: 0, lastUsed: tick, loaded: false)
        }
        slots[digest]?.users += 1
        guard let task = slots[digest]?.load else { throw CancellationError() }
        do {
            let folder = try await task.value
            slots[digest]?.loaded = true
            return folder
        } catch {
            // A failed load is forgotten once its last waiter has seen the error.
            if var slot = slots[digest], slot.load == task {
                slot.users -= 1
                slots[digest] = slot.users == 0 ? nil : slot
            }
            throw error
        }
    }

    /// Gives back a folder from ``acquire(digest:load:)``; unused revisions beyond ``idleCapacity`` are deleted.
    package func release(digest: String) {
        tick += 1
        guard var slot = slots[digest] else { return }
        slot.users = max(0, slot.users - 1)
        slot.lastUsed = tick
        slots[digest] = slot
        evict()
    }

    /// The digests currently extracted (loaded), for tests and metrics.
    package var cachedDigests: [String] {
        slots.filter { $0.value.loaded }.map(\.key).sorted()
    }

    /// Deletes every unused folder (the controller's shutdown).
    package func removeAll() {
        for (digest, slot) in slots where slot.users == 0 && slot.loaded {
            slots[digest] = nil
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(Self.folderName(digest)))
        }
    }

    private func evict() {
        let idle = slots.filter { $0.value.users == 0 && $0.value.loaded }.sorted { $0.value.lastUsed < $1.value.lastUsed }
        guard idle.count > idleCapacity else { return }
        for (digest, _) in idle.prefix(idle.count - idleCapacity) {
            slots[digest] = nil
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(Self.folderName(digest)))
        }
    }

    /// The folder name of a validated digest (`sha256:abc…` → `sha256-abc…`): one name per digest.
    static func folderName(_ digest: String) -> String {
        digest.replacingOccurrences(of: ":", with: "-")
    }
}
