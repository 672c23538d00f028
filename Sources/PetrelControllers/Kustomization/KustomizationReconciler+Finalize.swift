import KubeClient
import KubeCore
import Logging
import PetrelAPI

extension KustomizationReconciler {
    /// Handles a Kustomization being deleted: prunes its inventory as `deletionPolicy` says, then removes the
    /// finalizer.
    ///
    /// `MirrorPrune` (default) deletes iff `spec.prune`; `Delete` always; `WaitForTermination` deletes and waits, up
    /// to the timeout, until the objects are gone; `Orphan` never. A suspended Kustomization or an empty inventory
    /// deletes nothing. As in Flux, a failed prune is reported (Warning Event) and thrown, so the deletion is retried
    /// with backoff and the finalizer stays until the objects are gone: removing it after a transient failure (the
    /// API server restarting half-way through) would orphan the objects not yet deleted. Pruning acts as the
    /// Kustomization's ServiceAccount (see ``acting(for:)``); when that account no longer exists, pruning is skipped
    /// with a Warning Event and the finalizer removed (Flux's `CanImpersonate`).
    func finalize(_ object: Kustomization, json: JSONValue, logger: Logger) async throws {
        guard object.metadata.hasFinalizer(WellKnown.finalizer) else { return }
        let entries = object.status.inventory?.entries ?? []
        let policy = object.effectiveDeletionPolicy
        let shouldPrune =
            switch policy {
            case .mirrorPrune: object.spec.prune
            case .delete, .waitForTermination: true
            case .orphan: false
            }
        let prunes = shouldPrune && !object.isSuspended && !entries.isEmpty
        if prunes, !(await canImpersonate(for: object)) {
            let message =
                "skipped pruning the inventory on deletion: the ServiceAccount to impersonate "
                + "(\(impersonation(for: object)?.user ?? "")) does not exist; objects left: "
                + entries.map(\.id).joined(separator: ", ")
            logger.error("\(message)")
            await recorder.record(.warning, reason: ConditionReason.pruneFailed, message: message, about: json)
        } else if prunes {
            let ids = entries.compactMap { ResourceID(inventory: $0) }
            let tenant = acting(for: object)
            do {
                let deleted = try await tenant.engine.prune(ids, requiringLabels: Self.ownerLabels(of: object))
                let changed = deleted.filter { $0.action == .deleted }
                if !changed.isEmpty {
                    let lines = changed.map { "\($0.id) \($0.action.rawValue)" }.joined(separator: "\n")
                    await recorder.record(.normal, reason: "Pruned", message: lines, about: json)
                }
                if policy == .waitForTermination {
                    try await tenant.waitForDeletion(ids, timeout: object.effectiveTimeout.duration)
                }
            } catch {
                let message = "failed to prune the inventory on deletion (retrying): \(error)"
                await recorder.record(.warning, reason: ConditionReason.pruneFailed, message: message, about: json)
                throw error
            }
        }
        try await patchFinalizers(of: object, adding: false)
    }
}

extension KustomizationReconciler {
    /// Waits until none of `ids` exists any more, or `timeout` passes.
    func waitForDeletion(_ ids: [ResourceID], timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        var remaining = ids
        while !remaining.isEmpty {
            var still: [ResourceID] = []
            for id in remaining {
                if try await exists(id) { still.append(id) }
            }
            remaining = still
            guard !remaining.isEmpty else { return }
            guard ContinuousClock.now < deadline else {
                throw KustomizationError.pruneFailed(
                    "timed out waiting for \(remaining.map(\.description).joined(separator: ", ")) to be deleted")
            }
            try await Task.sleep(for: .seconds(1))
        }
    }

    /// Whether the object `id` names exists.
    func exists(_ id: ResourceID) async throws -> Bool {
        guard let manifest = Self.manifest(of: id.inventoryRef) else { return false }
        do {
            _ = try await client.get(like: manifest)
            return true
        } catch let error as KubeClientError where error.isNotFound {
            return false
        }
    }

    /// A minimal manifest (apiVersion, kind, name, namespace) of an inventory entry.
    static func manifest(of ref: ResourceRef) -> JSONValue? {
        guard let parts = ref.parts, let apiVersion = ref.apiVersion else { return nil }
        var metadata: JSONValue = ["name": .string(parts.name)]
        if !parts.namespace.isEmpty { metadata["namespace"] = .string(parts.namespace) }
        return ["apiVersion": .string(apiVersion), "kind": .string(parts.kind), "metadata": metadata]
    }
}
