import KubeClient
import KubeCore
import Logging

/// Applies sets of manifests with server-side apply the way Flux's kustomize-controller does (fluxcd/pkg `ssa`):
/// dry-run first, staged (CRDs, Namespaces and ClusterRoles; then `*Class` kinds; then the rest), only drifted
/// objects written, immutable-field changes recreated on request, stale objects pruned, health assessed by kstatus
/// rules.
///
/// Drift detection: each object is read, then dry-run applied (`dryRun=All`, `force`); the dry-run result and the
/// live object are compared without `status` and server-managed metadata (`managedFields`, `resourceVersion`,
/// `generation`, `uid`, `creationTimestamp`). Equal → `unchanged` and no write; so an unchanged object costs one
/// GET and one dry-run PATCH. Other managers' `managedFields` entries are not removed, so `ssa: Merge` and the
/// default `Override` currently behave the same.
package final class ApplyEngine: Sendable {
    let client: KubeClient
    let fieldManager: String
    let logger: Logger
    /// How long the first stage waits for its CRDs to be Established (Flux: 60 s).
    let establishTimeout: Duration
    /// How long a forced recreate waits for the old object to disappear.
    let deletionTimeout: Duration
    /// How many objects are read and dry-run at once (Flux's `--concurrent-ssa`, 4); writes stay sequential.
    let concurrency = 4

    /// - Parameters:
    ///   - fieldManager: the server-side apply field manager. Default `petrel`.
    package convenience init(client: KubeClient, fieldManager: String = "petrel", logger: Logger) {
        self.init(
            client: client, fieldManager: fieldManager, logger: logger, establishTimeout: .seconds(60),
            deletionTimeout: .seconds(60))
    }

    init(client: KubeClient, fieldManager: String, logger: Logger, establishTimeout: Duration, deletionTimeout: Duration) {
        self.client = client
        self.fieldManager = fieldManager
        self.logger = logger
        self.establishTimeout = establishTimeout
        self.deletionTimeout = deletionTimeout
    }

    /// Server-side dry-run of the whole set (CRDs and namespaces the set creates are taken into account); throws naming the object and field.
    ///
    /// Objects that cannot be dry-run yet because their CustomResourceDefinition or Namespace is created by this
    /// same set (and does not exist on the server) are skipped here with a log note; ``apply(_:options:)``
    /// dry-runs them in their own stage, after the CRD or Namespace exists, before writing any of that stage.
    /// All failures are reported together.
    package func validate(_ objects: [JSONValue], options: ApplyOptions) async throws(ApplyError) {
        let desired = try prepare(objects, options: options)
        let definedKinds = Set(desired.compactMap(Self.kindDefined(byCRD:)))
        let namespaces = Set(desired.filter { $0.id.kind == "Namespace" && $0.id.group.isEmpty }.map(\.id.name))
        var failures: [ApplyFailure] = []
        let items = sortedForApply(desired)
        for (item, result) in zip(items, await plans(items, options: options)) {
            guard case .failure(let failure) = result else { continue }
            if let note = deferredNote(failure, item, definedKinds: definedKinds, namespaces: namespaces) {
                logger.info("validation of \(item.id) deferred to apply: \(note)")
            } else {
                failures.append(failure.failure)
            }
        }
        if !failures.isEmpty { throw .validationFailed(failures) }
    }

    /// Staged server-side apply: CRDs, Namespaces and cluster-scoped definitions first (waits for CRDs Established), then the rest.
    ///
    /// Each stage is dry-run completely before any of its objects is written; a dry-run failure throws
    /// ``ApplyError/validationFailed(_:)`` and earlier stages stay applied (as in Flux). The returned change set
    /// is in apply order and includes skipped objects.
    package func apply(_ objects: [JSONValue], options: ApplyOptions) async throws(ApplyError) -> [ChangeSetEntry] {
        let desired = try prepare(objects, options: options)
        var changeSet: [ChangeSetEntry] = []
        for stage in ApplyOrder.Stage.allCases {
            let items = sortedForApply(desired.filter { ApplyOrder.stage(ofKind: $0.id.kind) == stage })
            if items.isEmpty { continue }
            var plans: [Plan] = []
            var failures: [ApplyFailure] = []
            for result in await self.plans(items, options: options) {
                switch result {
                case .success(let plan): plans.append(plan)
                case .failure(let failure): failures.append(failure.failure)
                }
            }
            if !failures.isEmpty { throw .validationFailed(failures) }
            for plan in plans {
                do { changeSet.append(try await execute(plan)) } catch { failures.append(error) }
            }
            if !failures.isEmpty { throw .applyFailed(failures) }
            let crds = plans.filter { $0.step != .skip && Self.isCRD($0.item.id) }
            if !crds.isEmpty { try await waitEstablished(crds.map(\.item)) }
        }
        return changeSet
    }

    /// Deletes `stale` objects (skipping those annotated kustomize.petrel.dev/prune: disabled and those already gone).
    package func prune(_ stale: [ResourceID]) async throws(ApplyError) -> [ChangeSetEntry] {
        try await prune(stale, requiringLabels: [:])
    }
}
