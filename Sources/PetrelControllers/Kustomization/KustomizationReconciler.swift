import ControllerRuntime
import Foundation
import KubeClient
import KubeCore
import Logging
import PetrelAPI

/// Reconciles a Kustomization as Flux's kustomize-controller v1 does: fetch the source artifact, build
/// `spec.path` with the spec's overrides, substitute variables, dry-run, apply, prune, health-check.
///
/// Shape (STYLE.md §5): read from the cache → deletion and finalizer → suspend → the steps (each in its own
/// `KustomizationReconciler+<Step>.swift`) inside one `do`/`catch` → conditions → one status write, only when the
/// status changed.
///
/// ## Outcomes
/// - Success: Ready=True `ReconciliationSucceeded` "Applied revision: <rev>", requeue after `spec.interval`.
/// - A failed step: Ready=False with the step's reason (``KustomizationError/reason``), a Warning Event, then
///   ``ControllerRuntime/ReconcileInterruption/failed(reason:message:retryAfter:)``: the controller counts an error
///   and retries with backoff, no sooner than `spec.retryInterval` (default `spec.interval`).
/// - Waiting (dependency not ready, no artifact yet): Ready=False, then
///   ``ControllerRuntime/ReconcileInterruption/waiting(requeueAfter:)`` after
///   ``KustomizationControllerOptions/requeueDependency``.
/// - Refused cross-namespace reference: Ready=False and Stalled=True `AccessDenied`, a Warning Event, no retry.
/// - API errors (status write, finalizer patch): thrown, so the queue retries with backoff. A failed status write
///   does not hold back the outcome's Events.
package struct KustomizationReconciler: Reconciler {
    /// The controller's identity; ``acting(for:)`` replaces it (and `engine`) by an impersonating view.
    var client: KubeClient
    let kustomizations: Store
    let sources: Store
    let recorder: any EventRecording
    let options: KustomizationControllerOptions
    let logger: Logger
    var engine: ApplyEngine
    let fetcher: ArtifactFetcher
    let builder: ManifestBuilder
    /// The last complete apply of each Kustomization, to skip identical builds between drift checks.
    let memo: AppliedSetMemo
    /// The objects each Kustomization's last apply verified, to skip their dry-run at the drift check.
    let verifiedObjects: VerifiedObjectsMemo

    /// The field manager for applies, status writes and finalizer patches.
    package static let fieldManager = "petrel-kustomize-controller"

    /// Creates a reconciler reading Kustomizations and GitRepositories from the given informer stores.
    package init(
        client: KubeClient, kustomizations: Store, sources: Store, recorder: any EventRecording,
        options: KustomizationControllerOptions, logger: Logger,
        fetcher: ArtifactFetcher? = nil, builder: ManifestBuilder = ManifestBuilder(),
        memo: AppliedSetMemo = AppliedSetMemo(), verifiedObjects: VerifiedObjectsMemo = VerifiedObjectsMemo()
    ) {
        self.client = client
        self.kustomizations = kustomizations
        self.sources = sources
        self.recorder = recorder
        self.options = options
        self.logger = logger
        self.engine = ApplyEngine(client: client, fieldManager: Self.fieldManager, logger: logger)
        // One extracted copy of each artifact revision for all reconciles (see ArtifactCache).
        self.fetcher =
            fetcher ?? ArtifactFetcher(allowedAddresses: options.artifactAddresses, cache: ArtifactCache(), logger: logger)
        self.builder = builder
        self.memo = memo
        self.verifiedObjects = verifiedObjects
    }

    package func reconcile(_ key: ObjectKey, logger: Logger) async throws -> ReconcileResult {
        guard let json = kustomizations.get(key) else { return .done }
        var log = logger
        log[metadataKey: "petrel.kind"] = "Kustomization"
        var object: Kustomization
        do { object = try Kustomization(json: json) } catch {
            try await Self.invalid(error, json: json, client: client, recorder: recorder, logger: log)
        }
        if object.metadata.isBeingDeleted {
            forget(object)
            try await finalize(object, json: json, logger: log)
            return .done
        }
        if !object.metadata.hasFinalizer(WellKnown.finalizer) {
            // The informer delivers the updated object, which reconciles again with a fresh cache.
            try await patchFinalizers(of: object, adding: true)
            return .done
        }
        if object.isSuspended {
            log.info("reconciliation is suspended for this object")
            return .done
        }
        let clock = ContinuousClock()
        let start = clock.now
        let original = object.status
        let outcome = await run(&object, logger: log)
        finalizeStatus(&object, outcome: outcome)
        // The Events go out even when the status write fails (the failure is then retried with backoff).
        var statusWriteError: (any Error)?
        if object.status != original {
            do { try await writeStatus(object) } catch { statusWriteError = error }
        }
        let elapsed = start.duration(to: clock.now)
        let reported: Result<ReconcileResult, any Error>
        do {
            reported = .success(
                try await report(
                    outcome, object: object, json: json, previous: original, elapsed: elapsed, logger: log,
                    statusWriteError: statusWriteError))
        } catch {
            reported = .failure(error)
        }
        // An unwritten status is retried with the plain backoff, sooner than the retry interval.
        if let statusWriteError { throw statusWriteError }
        return try reported.get()
    }

    /// The result of the steps, before it is folded into status.
    enum Outcome {
        /// Everything applied; `changes` lists what was created, configured or deleted. `requeueAfter` is set when
        /// the build was identical to the last complete apply and the API was skipped: the drift check is due then.
        case succeeded(revision: String, changes: [ChangeSetEntry], healthChecked: Bool, requeueAfter: Duration? = nil)
        /// A step failed; retry after the retry interval.
        case failed(KustomizationError)
        /// Not an error: retry after `delay`.
        case waiting(KustomizationError, delay: Duration)
        /// Refused until the object changes.
        case stalled(KustomizationError)
    }

    /// Runs the steps in order; each may update `object.status` (revision, inventory, Healthy) as it goes.
    private func run(_ object: inout Kustomization, logger: Logger) async -> Outcome {
        do {
            let artifact = try resolveSource(of: object)
            try await checkDependencies(of: object, artifact: artifact)
            object.status.lastAttemptedRevision = artifact.revision
            var changes: [ChangeSetEntry] = []
            var healthChecked = false
            var skippedFor: Duration?
            let tenant = acting(for: object)
            try await fetcher.withArtifact(url: artifact.url, digest: artifact.digest) { root in
                let (objects, secrets) = try await build(object, root: root)
                let fingerprint = AppliedSetMemo.fingerprint(objects)
                if let left = memo.remaining(for: object, fingerprint: fingerprint, now: .now) {
                    skippedFor = left
                    healthChecked = object.status.conditions.isTrue(ConditionType.healthy)
                    return
                }
                do {
                    changes = try await tenant.applyAndPrune(objects, to: &object)
                    healthChecked = try await tenant.checkHealth(of: object, applied: changes)
                } catch let error as KustomizationError {
                    // Server messages echo the values they refuse, substituted Secret values included.
                    throw secrets.redact(error)
                } catch {
                    throw secrets.redact(.reconciliationFailed("\(error)"))
                }
                memo.record(object, fingerprint: fingerprint, at: .now)
            }
            if let skippedFor {
                logger.debug("build identical to the last apply: skipped until the drift check")
                return .succeeded(
                    revision: artifact.revision, changes: [], healthChecked: healthChecked, requeueAfter: skippedFor)
            }
            return .succeeded(revision: artifact.revision, changes: changes, healthChecked: healthChecked)
        } catch let interruption as StepInterruption {
            forget(object)
            switch interruption {
            case .waiting(let error, let delay): return .waiting(error, delay: delay)
            case .stalled(let error): return .stalled(error)
            }
        } catch let error as KustomizationError {
            forget(object)
            return .failed(error)
        } catch {
            forget(object)
            return .failed(.reconciliationFailed("\(error)"))
        }
    }

    /// Handles a Kustomization that cannot be decoded (``InvalidObject``): always throws, stalling the key.
    private static func invalid(
        _ error: PetrelAPIError, json: JSONValue, client: KubeClient, recorder: any EventRecording, logger: Logger
    ) async throws -> Never {
        let resource = Kustomization.groupVersionResource
        if json[path: ["metadata", "deletionTimestamp"]] != nil {
            _ = try await InvalidObject.release(json, resource: resource, client: client, recorder: recorder, logger: logger)
        } else {
            _ = try await InvalidObject.report(
                error, json: json, resource: resource, client: client, recorder: recorder, logger: logger)
        }
        throw ReconcileInterruption.stalled(reason: ConditionReason.invalidObject)
    }

    /// Forgets what the memos know of `object` (a failed reconcile or a deletion).
    private func forget(_ object: Kustomization) {
        memo.forget(object)
        verifiedObjects.forget(object)
    }

    /// Non-failure stops of the step chain.
    enum StepInterruption: Error {
        case waiting(KustomizationError, delay: Duration)
        case stalled(KustomizationError)
    }
}
