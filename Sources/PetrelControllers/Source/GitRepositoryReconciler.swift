import ControllerRuntime
import Foundation
import GitSource
import KubeClient
import KubeCore
import Logging
import PetrelAPI
import Synchronization

/// Reconciles GitRepositories the way Flux's source-controller does: resolve the ref on the remote, fetch and
/// pack the tree into a deterministic `.tar.gz` when the revision (or the ignore rules) changed, keep it in the
/// artifact storage, and report the result in `status`.
///
/// Steps, in order: read the object from the informer store → deletion (remove the artifacts, then the
/// finalizer) → add the finalizer → suspended? stop → fetch and store (``fetchAndStore(_:logger:)``) → fold the
/// outcome into the status → one status write, only when the status changed.
///
/// ## Conditions set
/// - `Ready`: True/`Succeeded` ("stored artifact for revision '…'"), or False with the failure's reason.
/// - `ArtifactInStorage`: True/`Succeeded` while an artifact is stored (also kept after a failure).
/// - `FetchFailed` / `StorageOperationFailed`: True with a Flux reason on failure; removed on success.
/// - `Reconciling`: True/`ProgressingWithRetry` after a retryable failure; removed otherwise.
/// - `Stalled`: True when retrying cannot help (invalid URL or semver range, unsupported credentials).
///
/// ## Guarantees
/// - A failure never removes the last good artifact from storage or from `status.artifact`.
/// - A reconcile that finds the remote at the stored revision downloads no objects and writes nothing.
/// - Secret values never reach logs, events or the status.
package struct GitRepositoryReconciler: Reconciler {
    let client: KubeClient
    let store: Store
    let recorder: any EventRecording
    let options: GitRepositoryControllerOptions
    let logger: Logger
    let git: GitClient
    /// The objects this reconciler last wrote, so a reconcile that runs before the informer has seen the write
    /// still starts from it (read-your-writes).
    let written = WrittenObjects()
    /// Whether the storage of GitRepositories deleted while the controller was down was swept.
    let sweep = StorageSweep()

    /// The kind name used for storage folders (`gitrepository/<namespace>/<name>/`).
    static let storageKind = "GitRepository"
    static let secrets = GroupVersionResource(group: "", version: "v1", resource: "secrets")

    /// Creates a reconciler reading GitRepositories from `store`.
    package init(
        client: KubeClient, store: Store, recorder: any EventRecording, options: GitRepositoryControllerOptions,
        logger: Logger
    ) {
        self.client = client
        self.store = store
        self.recorder = recorder
        self.options = options
        self.logger = logger
        self.git = GitClient(logger: logger)
    }

    package func reconcile(_ key: ObjectKey, logger: Logger) async throws -> ReconcileResult {
        // Workers start once the informer has listed everything, so the store is complete here.
        sweepStorageOnce()
        guard let json = latest(key) else { return .done }
        var logger = logger
        logger[metadataKey: "petrel.kind"] = "GitRepository"
        let object: GitRepository
        do { object = try GitRepository(json: json) } catch {
            try await invalid(error, json: json, key: key, logger: logger)
        }
        if object.metadata.isBeingDeleted {
            try await finalize(object, key: key, logger: logger)
            return .done
        }
        if !object.metadata.hasFinalizer(WellKnown.finalizer) {
            try await addFinalizer(object, key: key)
        }
        if object.isSuspended {
            logger.debug("reconciliation is suspended for this object")
            return .done
        }
        let start = ContinuousClock.now
        let outcome: Result<FetchOutcome, GitRepositoryFailure>
        do { outcome = .success(try await fetchAndStore(object, logger: logger)) } catch {
            outcome = .failure(error)
        }
        let status = Self.status(after: outcome, for: object, storedArtifactExists: artifactExists(object))
        if status != object.status {
            try await writeStatus(status, of: object, key: key)
        }
        await recordEvents(outcome, old: object.status, statusChanged: status != object.status, json: json)
        let elapsed = start.duration(to: .now)
        switch outcome {
        case .success(let fetched):
            let next = Self.jittered(max(object.spec.interval, GoDuration(options.minimumInterval)))
            let message = fetched.isNew ? "stored artifact" : "no change"
            logger.info(
                "\(message) for revision '\(fetched.artifact.revision)' in \(elapsed), next run in \(next)",
                metadata: ["petrel.revision": "\(fetched.artifact.revision)"])
            return .requeue(after: next)
        case .failure(let failure) where failure.stalled:
            logger.error("reconciliation stalled: \(failure.message)", metadata: ["reason": "\(failure.reason)"])
            throw ReconcileInterruption.stalled(reason: failure.reason)
        case .failure(let failure):
            if let delay = failure.retryAfter {
                logger.error("reconciliation failed: \(failure.message)", metadata: ["reason": "\(failure.reason)"])
                throw ReconcileInterruption.waiting(requeueAfter: delay)
            }
            throw failure
        }
    }

    /// Handles a GitRepository that cannot be decoded (``InvalidObject``); a deleted one also loses its artifacts.
    /// Always throws, stalling the key.
    private func invalid(_ error: PetrelAPIError, json: JSONValue, key: ObjectKey, logger: Logger) async throws -> Never {
        let resource = GitRepository.groupVersionResource
        let response: JSONValue?
        if json[path: ["metadata", "deletionTimestamp"]] != nil {
            try artifactStore().deleteAll(kind: Self.storageKind, namespace: key.namespace, name: key.name)
            response = try await InvalidObject.release(
                json, resource: resource, client: client, recorder: recorder, logger: logger)
        } else {
            response = try await InvalidObject.report(
                error, json: json, resource: resource, client: client, recorder: recorder, logger: logger)
        }
        if let response { remember(response, key: key) }
        throw ReconcileInterruption.stalled(reason: ConditionReason.invalidObject)
    }

    /// The newer of the informer's copy and the copy this reconciler last wrote (by resourceVersion).
    func latest(_ key: ObjectKey) -> JSONValue? {
        guard let cached = store.get(key) else {
            written.state.withLock { _ = $0.removeValue(forKey: key) }
            return nil
        }
        return written.state.withLock { written in
            guard let mine = written[key] else { return cached }
            let cachedVersion = Int(cached[path: ["metadata", "resourceVersion"]]?.stringValue ?? "") ?? 0
            let myVersion = Int(mine[path: ["metadata", "resourceVersion"]]?.stringValue ?? "") ?? 0
            if cachedVersion >= myVersion || cached[path: ["metadata", "uid"]] != mine[path: ["metadata", "uid"]] {
                written.removeValue(forKey: key)
                return cached
            }
            return mine
        }
    }

    func remember(_ response: JSONValue, key: ObjectKey) {
        guard response["metadata"] != nil else { return }
        written.state.withLock { $0[key] = response }
    }

    /// Flux's jitter: the interval stretched or shrunk by up to 5 %, in integer arithmetic that saturates (any
    /// `Int64` interval is safe, even one a lenient API server let through).
    ///
    /// - Parameter offset: picks the offset from the range it is given (random by default; tests pin it).
    static func jittered(
        _ interval: GoDuration, offset: (ClosedRange<Int64>) -> Int64 = { Int64.random(in: $0) }
    ) -> Duration {
        let base = max(interval.nanoseconds, 1_000_000)
        let spread = base / 20
        let (sum, overflow) = base.addingReportingOverflow(min(max(offset(-spread...spread), -spread), spread))
        return .nanoseconds(overflow ? Int64.max : sum)
    }

    func artifactStore() throws(GitRepositoryFailure) -> ArtifactStore {
        do { return try ArtifactStore(root: URL(fileURLWithPath: options.storagePath)) } catch {
            throw .storage(ConditionReason.directoryCreationFailed, "cannot create the storage folder: \(error)")
        }
    }

    func artifactExists(_ object: GitRepository) -> Bool {
        guard let artifact = object.status.artifact, let store = try? artifactStore() else { return false }
        return store.exists(Self.stored(artifact))
    }

    static func stored(_ artifact: Artifact) -> StoredArtifact {
        StoredArtifact(
            path: artifact.path, revision: artifact.revision, digest: artifact.digest, size: Int(artifact.size ?? 0),
            lastUpdateTime: artifact.lastUpdateTime.date)
    }

    func url(of path: String) -> String {
        var base = options.artifactBaseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/" + path
    }
}

/// The objects a reconciler wrote last, by key (see ``GitRepositoryReconciler/latest(_:)``).
final class WrittenObjects: Sendable {
    let state = Mutex<[ObjectKey: JSONValue]>([:])
}
