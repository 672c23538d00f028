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
/// `generation`, `uid`, `creationTimestamp`). Equal → `unchanged` and no write. With owner labels
/// (``ApplyOptions/labels``), the objects of each resource and namespace are read with one labelled LIST instead
/// of a GET each, and an object absent from it is known new from its dry-run (no `resourceVersion`): so an
/// unchanged object costs one dry-run PATCH (plus its share of the LIST), a new one a dry-run and an apply.
/// ``validateAndApply(_:options:)`` dry-runs each object once for both the validation and the apply.
/// ``validateAndApply(_:options:verified:)`` also skips the dry-run of objects whose manifest and live
/// `resourceVersion` are those it verified last time (``VerifiedSet``): a steady-state drift check then costs the
/// LISTs (or GETs) only.
///
/// Drift correction (Flux's cleanup): unless the object says `kustomize.petrel.dev/ssa: Merge`, fields owned by
/// `kubectl`/`kubectl-*`, `before-first-apply` or Petrel's own `Update` operations are first moved to Petrel's
/// Apply entry (one JSON patch of `metadata.managedFields`), so the apply removes what those managers added and the
/// object is reported `configured`.
package final class ApplyEngine: Sendable {
    let client: KubeClient
    let fieldManager: String
    let logger: Logger
    /// How long the first stage waits for its CRDs to be Established (Flux: 60 s).
    let establishTimeout: Duration
    /// How long a forced recreate waits for the old object to disappear.
    let deletionTimeout: Duration
    /// How many objects are read, dry-run or written at once (Flux's `--concurrent-ssa`, 4).
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
        _ = try await validatedPlans(try prepare(objects, options: options), options: options)
    }

    /// Staged server-side apply: CRDs, Namespaces and cluster-scoped definitions first (waits for CRDs Established), then the rest.
    ///
    /// Each stage is dry-run completely before any of its objects is written; a dry-run failure throws
    /// ``ApplyError/validationFailed(_:)`` and earlier stages stay applied (as in Flux). The returned change set
    /// is in apply order and includes skipped objects.
    package func apply(_ objects: [JSONValue], options: ApplyOptions) async throws(ApplyError) -> [ChangeSetEntry] {
        try await applyStaged(try prepare(objects, options: options), planned: [:], options: options).changeSet
    }

    /// ``validate(_:options:)`` then ``apply(_:options:)`` with one dry-run per object instead of two: the plans
    /// of the validation are applied as they are, unless an earlier stage wrote a CustomResourceDefinition (then
    /// the later stages are planned again, as their schema may have changed). Objects whose validation was
    /// deferred (their CRD or Namespace comes with the set) are dry-run in their stage.
    ///
    /// As with the two calls, nothing is written when any object of the set fails its dry-run.
    package func validateAndApply(_ objects: [JSONValue], options: ApplyOptions) async throws(ApplyError) -> [ChangeSetEntry] {
        let desired = try prepare(objects, options: options)
        let planned = try await validatedPlans(desired, options: options)
        return try await applyStaged(desired, planned: planned, options: options).changeSet
    }

    /// ``validateAndApply(_:options:)`` for a drift check that skips the dry-run of objects provably unchanged
    /// since `verified` (what the previous call for the same set returned).
    ///
    /// An object is `unchanged` without a dry-run when its manifest as sent (digest) equals the one verified and
    /// the live object read for planning (owner-label LIST, or GET) has the verified `uid` and `resourceVersion`:
    /// nobody wrote it since a dry-run or apply of exactly this manifest left it as desired. Every other object —
    /// new or changed manifest, live object edited (status updates included), deleted or recreated, not found by
    /// the LIST, a `kustomize.petrel.dev/ssa` policy, another field manager, identity or ``ApplyOptions/force``
    /// (`verified.context`) — takes the dry-run path. After a CustomResourceDefinition of the set is written, the
    /// later stages are planned again with dry-runs only (the schema may have changed).
    ///
    /// Validation keeps its guarantee: every object that may be written is dry-run before anything is written,
    /// and any dry-run failure writes nothing; the objects skipped are unchanged since they were last dry-run or
    /// applied successfully. What the skip cannot see is a change of the server's rules for an untouched object
    /// (a new admission policy or webhook, a CustomResourceDefinition changed outside the set): such an object is
    /// checked again when its manifest or live version changes, or with an empty `verified` (a restart).
    ///
    /// `maxAge` bounds that: an object verified longer ago is dry-run again (and verified anew) even when
    /// nothing changed. Nil: no bound.
    ///
    /// The returned ``ApplyResult/verified`` holds exactly the objects of this set that are verified now; objects
    /// skipped by policy or planned without a matching version are left out (dry-run next time).
    package func validateAndApply(
        _ objects: [JSONValue], options: ApplyOptions, verified: VerifiedSet, maxAge: Duration? = nil
    ) async throws(ApplyError) -> ApplyResult {
        var options = options
        let context = verificationContext(options)
        var prior = verified.context == context ? verified.objects : [:]
        if let maxAge {
            let now = ContinuousClock.now
            prior = prior.filter { $0.value.verifiedAt.duration(to: now) < maxAge }
        }
        options.verification = Verification(prior: prior)
        let desired = try prepare(objects, options: options)
        let planned = try await validatedPlans(desired, options: options)
        let staged = try await applyStaged(desired, planned: planned, options: options)
        return ApplyResult(
            changeSet: staged.changeSet, verified: VerifiedSet(context: context, objects: staged.verified),
            reused: staged.reused)
    }

    /// What ``applyStaged(_:planned:options:)`` did: the change set, the objects verified, how many reused.
    struct Staged {
        var changeSet: [ChangeSetEntry] = []
        var verified: [ResourceID: VerifiedObject] = [:]
        var reused = 0
    }

    /// Dry-runs every object; returns the plans by id, throwing every non-deferrable failure together.
    private func validatedPlans(_ desired: [Desired], options: ApplyOptions) async throws(ApplyError) -> [ResourceID: Plan] {
        let definedKinds = Set(desired.compactMap(Self.kindDefined(byCRD:)))
        let namespaces = Set(desired.filter { $0.id.kind == "Namespace" && $0.id.group.isEmpty }.map(\.id.name))
        var failures: [ApplyFailure] = []
        var planned: [ResourceID: Plan] = [:]
        let items = sortedForApply(desired)
        for (item, result) in zip(items, await plans(items, options: options)) {
            switch result {
            case .success(let plan):
                planned[item.id] = plan
            case .failure(let failure):
                if let note = deferredNote(failure, item, definedKinds: definedKinds, namespaces: namespaces) {
                    logger.info("validation of \(item.id) deferred to apply: \(note)")
                } else {
                    failures.append(failure.failure)
                }
            }
        }
        if !failures.isEmpty { throw .validationFailed(failures) }
        return planned
    }

    /// Applies `desired` stage by stage, reusing `planned` (by the manifest's id) while no CRD was written.
    private func applyStaged(
        _ desired: [Desired], planned: [ResourceID: Plan], options: ApplyOptions
    ) async throws(ApplyError) -> Staged {
        var staged = Staged()
        var options = options
        var reusable = planned
        for stage in ApplyOrder.Stage.allCases {
            let items = sortedForApply(desired.filter { ApplyOrder.stage(ofKind: $0.id.kind) == stage })
            if items.isEmpty { continue }
            var plans: [Plan?] = items.map { reusable[$0.id] }
            let missing = items.indices.filter { plans[$0] == nil }
            var failures: [ApplyFailure] = []
            for (index, result) in zip(missing, await self.plans(missing.map { items[$0] }, options: options)) {
                switch result {
                case .success(let plan): plans[index] = plan
                case .failure(let failure): failures.append(failure.failure)
                }
            }
            if !failures.isEmpty { throw .validationFailed(failures) }
            let ready = plans.compactMap { $0 }
            for result in await execute(ready) {
                switch result {
                case .success(let executed):
                    staged.changeSet.append(executed.entry)
                    if let verified = executed.verified { staged.verified[executed.entry.id] = verified }
                    if executed.reused { staged.reused += 1 }
                case .failure(let failure): failures.append(failure)
                }
            }
            if !failures.isEmpty { throw .applyFailed(failures) }
            let crds = ready.filter { $0.step != .skip && $0.step != .unchanged && Self.isCRD($0.item.id) }
            if !crds.isEmpty {
                reusable = [:]
                // The schema of later stages may have changed: dry-run all of them.
                options.verification?.prior = [:]
            }
            let allCRDs = ready.filter { $0.step != .skip && Self.isCRD($0.item.id) }
            if !allCRDs.isEmpty { try await waitEstablished(allCRDs.map(\.item)) }
        }
        return staged
    }

    /// Deletes `stale` objects (skipping those annotated kustomize.petrel.dev/prune: disabled and those already gone).
    package func prune(_ stale: [ResourceID]) async throws(ApplyError) -> [ChangeSetEntry] {
        try await prune(stale, requiringLabels: [:])
    }
}
