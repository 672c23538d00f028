import ControllerRuntime
import Foundation
import KubeCore
import Synchronization

extension GitRepositoryReconciler {
    /// Forgets `key` and deletes its stored artifacts: the GitRepository left the informer (deleted, with or without
    /// Petrel's finalizer, or out of `--watch-label-selector`).
    func purge(_ key: ObjectKey) {
        written.state.withLock { _ = $0.removeValue(forKey: key) }
        do {
            try artifactStore().deleteAll(kind: Self.storageKind, namespace: key.namespace, name: key.name)
        } catch {
            logger.warning(
                "cannot delete the artifacts of a GitRepository that is gone", metadata: ["error": "\(error)"])
        }
    }

    /// Once per process, after the informer's first list: deletes the stored artifacts of every GitRepository the
    /// informer does not hold, i.e. those deleted (or moved out of the label selector) while the controller was
    /// down. Storage (`--storage-path`) survives container restarts; the memory of deleted objects does not.
    func sweepStorageOnce() {
        guard
            sweep.state.withLock({ done in
                defer { done = true }
                return !done
            })
        else { return }
        let root = URL(fileURLWithPath: options.storagePath).appendingPathComponent(Self.storageKind.lowercased())
        let manager = FileManager.default
        for namespace in (try? manager.contentsOfDirectory(atPath: root.path)) ?? [] where !namespace.hasPrefix(".") {
            let folder = root.appendingPathComponent(namespace)
            for name in (try? manager.contentsOfDirectory(atPath: folder.path)) ?? [] where !name.hasPrefix(".") {
                let key = ObjectKey(namespace: namespace, name: name)
                guard store.get(key) == nil else { continue }
                logger.info("deleting the artifacts of \(key), which no longer exists")
                purge(key)
            }
        }
    }
}

/// Whether ``GitRepositoryReconciler/sweepStorageOnce()`` ran.
final class StorageSweep: Sendable {
    let state = Mutex(false)
}
