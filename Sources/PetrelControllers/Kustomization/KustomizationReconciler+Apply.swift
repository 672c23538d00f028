import KubeClient
import KubeCore
import PetrelAPI

extension KustomizationReconciler {
    /// The labels stamped on every applied object, naming its Kustomization.
    static func ownerLabels(of object: Kustomization) -> [String: String] {
        [
            WellKnown.kustomizeNameLabel: object.metadata.name ?? "",
            WellKnown.kustomizeNamespaceLabel: object.metadata.namespace ?? "",
        ]
    }

    /// Objects labelled as applied by another Kustomization that still exists are refused unless their manifest
    /// says `kustomize.petrel.dev/takeover: enabled` (see ``ApplyOwnership``). Whether that Kustomization exists is
    /// read with the controller's identity (a tenant's ServiceAccount need not read Kustomizations); when it cannot
    /// be read, the object is refused. A Kustomization acting as a ServiceAccount (a tenant) takes objects over only
    /// from Kustomizations of its own namespace, never from another namespace's (a platform's).
    func ownership(of object: Kustomization) -> ApplyOwnership {
        let controller = client.withoutImpersonation
        let namespace = object.metadata.namespace ?? ""
        let tenant = impersonation(for: object)
        return ApplyOwnership(
            labels: Self.ownerLabels(of: object),
            ownerExists: { labels in
                guard let name = labels[WellKnown.kustomizeNameLabel], !name.isEmpty,
                    let namespace = labels[WellKnown.kustomizeNamespaceLabel], !namespace.isEmpty
                else { return false }
                do {
                    _ = try await controller.get(Kustomization.groupVersionResource, namespace: namespace, name: name)
                    return true
                } catch let error as KubeClientError where error.isNotFound {
                    return false
                } catch {
                    return true
                }
            },
            describe: { labels in
                let name = labels[WellKnown.kustomizeNameLabel] ?? "?"
                return "Kustomization \(labels[WellKnown.kustomizeNamespaceLabel] ?? "?")/\(name)"
            },
            mayTakeOver: { labels in
                guard let tenant, labels[WellKnown.kustomizeNamespaceLabel] != namespace else { return nil }
                return "\(WellKnown.takeoverKey) is refused: \(tenant.user) may take over objects only from "
                    + "Kustomizations in its own namespace \(namespace)"
            })
    }

    /// Dry-runs the whole set, applies it, records the new inventory and prunes what left the source.
    ///
    /// Objects verified by the previous apply and unchanged since on both sides (``VerifiedObjectsMemo``) skip
    /// their dry-run; everything that may be written is still dry-run before anything is written.
    ///
    /// A dry-run failure applies nothing, prunes nothing and keeps the inventory. Objects whose prune failed stay
    /// in the inventory, so the next reconcile tries again.
    ///
    /// Conditions: Ready=False `ReconciliationFailed` (dry-run or apply) or `PruneFailed`.
    /// - Returns: the apply and prune change set.
    func applyAndPrune(_ objects: [JSONValue], to object: inout Kustomization) async throws -> [ChangeSetEntry] {
        var options = ApplyOptions()
        options.force = object.spec.force ?? false
        options.labels = Self.ownerLabels(of: object)
        options.ownership = ownership(of: object)
        let applied: [ChangeSetEntry]
        do {
            // One dry-run per object validates the whole set and plans its apply, except for objects unchanged
            // since the last apply verified them (same manifest, same live resourceVersion): those need none.
            let result = try await engine.validateAndApply(
                objects, options: options, verified: verifiedObjects.verified(for: object),
                maxAge: self.options.verifiedObjectMaxAge)
            verifiedObjects.record(result.verified, for: object)
            applied = result.changeSet
            if result.reused > 0 {
                logger.debug(
                    "\(result.reused) of \(objects.count) objects unchanged since verified: no dry-run for them")
            }
        } catch {
            verifiedObjects.forget(object)
            switch error {
            case .validationFailed, .invalidManifest:
                throw KustomizationError.reconciliationFailed("dry-run failed: \(error.message)")
            default:
                throw KustomizationError.reconciliationFailed("apply failed: \(error.message)")
            }
        }
        let oldEntries = object.status.inventory?.entries ?? []
        var newEntries: [ResourceRef] = []
        var seen = Set<String>()
        for entry in applied where entry.action != .deleted {
            let ref = entry.id.inventoryRef
            if seen.insert(ref.id).inserted { newEntries.append(ref) }
        }
        object.status.inventory = ResourceInventory(entries: newEntries)
        guard object.spec.prune else { return applied }
        let stale = oldEntries.filter { !seen.contains($0.id) }.compactMap { ResourceID(inventory: $0) }
        guard !stale.isEmpty else { return applied }
        do {
            let pruned = try await engine.prune(stale, requiringLabels: Self.ownerLabels(of: object))
            return applied + pruned
        } catch {
            // Keep the objects whose prune failed in the inventory so the next reconcile tries again.
            let failed = Set(error.objects)
            let kept = stale.filter { failed.isEmpty || failed.contains($0) }
            object.status.inventory = ResourceInventory(entries: newEntries + kept.map(\.inventoryRef))
            throw KustomizationError.pruneFailed(error.message)
        }
    }

    /// Waits for the applied objects (`spec.wait`) or the `spec.healthChecks` objects to become healthy, within
    /// the Kustomization's timeout.
    ///
    /// Conditions: Healthy=True `Succeeded` or Healthy=False `HealthCheckFailed` (and Ready=False); Healthy is
    /// removed when there is nothing to check.
    /// - Returns: whether anything was checked.
    func checkHealth(of object: Kustomization, applied: [ChangeSetEntry]) async throws -> Bool {
        let ids: [ResourceID]
        if object.spec.wait == true {
            ids = applied.filter { $0.action != .deleted && $0.action != .skipped }.map(\.id)
        } else {
            let namespace = object.metadata.namespace ?? ""
            ids = (object.spec.healthChecks ?? []).compactMap { reference in
                let apiVersion =
                    reference.apiVersion
                    ?? applied.lazy.map(\.id.inventoryRef).first { ref in
                        ref.parts?.kind == reference.kind && ref.parts?.name == reference.name
                    }?.apiVersion
                guard let apiVersion else { return nil }
                let json: JSONValue = [
                    "apiVersion": .string(apiVersion), "kind": .string(reference.kind),
                    "metadata": [
                        "name": .string(reference.name), "namespace": .string(reference.namespace ?? namespace),
                    ],
                ]
                return ResourceID(object: json)
            }
        }
        guard !ids.isEmpty else { return false }
        do {
            try await engine.waitForHealth(ids, timeout: object.effectiveTimeout.duration)
        } catch {
            throw KustomizationError.healthCheckFailed(
                "health check failed after \(object.effectiveTimeout): \(error.message)")
        }
        return true
    }
}
