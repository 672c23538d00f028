import KubeClient
import KubeCore
import Logging

extension ApplyEngine {
    /// Deletes `stale` objects in reverse apply order (Namespaces and CRDs last), with background propagation.
    ///
    /// An object is `skipped` when its live version has `kustomize.petrel.dev/prune: disabled`,
    /// `kustomize.petrel.dev/ssa: Ignore` or `kustomize.petrel.dev/reconcile: disabled` (label or annotation), or
    /// when it lacks one of `requiringLabels` (Flux deletes only objects still labelled as its own). Objects already
    /// gone, or whose kind is no longer served, get no entry. Failures do not stop the others; they are thrown
    /// together in ``ApplyError/pruneFailed(_:deleted:)`` with the entries of what was deleted.
    package func prune(_ stale: [ResourceID], requiringLabels: [String: String]) async throws(ApplyError)
        -> [ChangeSetEntry]
    {
        var changeSet: [ChangeSetEntry] = []
        var failures: [ApplyFailure] = []
        for id in ApplyOrder.pruneOrder(Array(Set(stale))) {
            do {
                if let entry = try await prune(id, requiringLabels: requiringLabels) { changeSet.append(entry) }
            } catch {
                failures.append(error)
            }
        }
        if !failures.isEmpty { throw .pruneFailed(failures, deleted: changeSet) }
        return changeSet
    }

    private func prune(_ id: ResourceID, requiringLabels: [String: String]) async throws(ApplyFailure) -> ChangeSetEntry? {
        let resolved: (GroupVersionResource, String?)?
        do {
            resolved = try await resolve(id)
        } catch {
            throw ApplyFailure(id: id, message: "\(id) failed to discover its resource: \(error.message)")
        }
        guard let (resource, namespace) = resolved else { return nil }
        let live: JSONValue
        do {
            live = try await client.get(resource, namespace: namespace, name: id.name)
        } catch where error.isNotFound {
            return nil
        } catch {
            throw ApplyFailure(id: id, message: "\(id) failed to read it before pruning: \(error.message)")
        }
        let policy = ObjectPolicy(live)
        let labels = live.kube.labels
        if policy.pruneDisabled || policy.excluded || requiringLabels.contains(where: { labels[$0.key] != $0.value }) {
            logger.debug("prune of \(id) skipped by its annotations or labels")
            return ChangeSetEntry(id: id, action: .skipped)
        }
        if live.kube.isBeingDeleted { return ChangeSetEntry(id: id, action: .deleted) }
        do {
            try await client.delete(
                resource, namespace: namespace, name: id.name,
                options: DeleteOptions(propagationPolicy: .background))
        } catch where error.isNotFound {
            return nil
        } catch {
            throw ApplyFailure(id: id, message: "\(id) delete failed (\(error.reason)): \(error.message)")
        }
        return ChangeSetEntry(id: id, action: .deleted)
    }
}
