import ControllerRuntime
import KubeClient
import KubeCore
import Logging
import PetrelAPI

extension KustomizationReconciler {
    /// Folds the outcome into the status (Flux's `finalizeStatus`): Ready, Reconciling, Stalled, Healthy,
    /// `lastAppliedRevision`, `observedGeneration` (on success only) and `lastHandledReconcileAt`.
    func finalizeStatus(_ object: inout Kustomization, outcome: Outcome) {
        let generation = object.metadata.generation
        var conditions = object.status.conditions
        if let requested = object.reconcileRequestedAt { object.status.lastHandledReconcileAt = requested }
        switch outcome {
        case .succeeded(let revision, _, let healthChecked, _):
            conditions.set(
                type: ConditionType.ready, status: .true, reason: ConditionReason.reconciliationSucceeded,
                message: "Applied revision: \(revision)", observedGeneration: generation)
            if healthChecked {
                conditions.set(
                    type: ConditionType.healthy, status: .true, reason: ConditionReason.succeeded,
                    message: "Health check passed", observedGeneration: generation)
            } else {
                conditions.remove(ConditionType.healthy)
            }
            conditions.remove(ConditionType.reconciling)
            conditions.remove(ConditionType.stalled)
            object.status.lastAppliedRevision = revision
            object.status.observedGeneration = generation
        case .failed(let error), .waiting(let error, _):
            conditions.set(
                type: ConditionType.ready, status: .false, reason: error.reason, message: error.message,
                observedGeneration: generation)
            conditions.set(
                type: ConditionType.reconciling, status: .true, reason: ConditionReason.progressingWithRetry,
                message: "Reconciliation failed, retrying", observedGeneration: generation)
            conditions.remove(ConditionType.stalled)
            if case .healthCheckFailed = error {
                conditions.set(
                    type: ConditionType.healthy, status: .false, reason: error.reason, message: error.message,
                    observedGeneration: generation)
            }
        case .stalled(let error):
            conditions.set(
                type: ConditionType.ready, status: .false, reason: error.reason, message: error.message,
                observedGeneration: generation)
            conditions.set(
                type: ConditionType.stalled, status: .true, reason: error.reason, message: error.message,
                observedGeneration: generation)
            conditions.remove(ConditionType.reconciling)
        }
        object.status.conditions = conditions
    }

    /// Writes the status through the status subresource (a merge patch of the whole status).
    func writeStatus(_ object: Kustomization) async throws {
        let status = try JSONValueCoding.encode(object.status)
        _ = try await client.patchStatus(
            Kustomization.groupVersionResource, namespace: object.metadata.namespace,
            name: object.metadata.name ?? "", .merge(["status": Self.withExplicitNulls(status)]))
    }

    /// A merge patch removes a field only when it is `null`: make the optional status fields explicit.
    static func withExplicitNulls(_ status: JSONValue) -> JSONValue {
        var status = status
        for field in ["inventory", "lastAppliedRevision", "lastAttemptedRevision", "lastHandledReconcileAt"]
        where status[field] == nil {
            status[field] = JSONValue.null
        }
        if status["conditions"] == nil { status["conditions"] = [] }
        return status
    }

    /// Emits the Events and the log line of an outcome, and says it in the runtime's terms: a result for a success,
    /// a thrown ``ControllerRuntime/ReconcileInterruption`` otherwise (``ControllerRuntime/Controller`` decides what
    /// the queue does with it).
    func report(
        _ outcome: Outcome, object: Kustomization, json: JSONValue, previous: KustomizationStatus,
        elapsed: Duration, logger: Logger, statusWriteError: (any Error)? = nil
    ) async throws -> ReconcileResult {
        switch outcome {
        case .succeeded(let revision, let changes, _, let requeueAfter):
            let changed = changes.filter { $0.action != .unchanged }
            if !changed.isEmpty {
                let lines = changed.map { "\($0.id) \($0.action.rawValue)" }.joined(separator: "\n")
                await recorder.record(
                    .normal, reason: ConditionReason.reconciliationSucceeded, message: lines, about: json)
            }
            let interval = object.spec.interval
            let next = requeueAfter.map { Self.format($0) } ?? "\(interval)"
            let message = "Reconciliation finished in \(Self.format(elapsed)), next run in \(next)"
            if !changed.isEmpty || !previous.conditions.isTrue(ConditionType.ready)
                || previous.lastAppliedRevision != revision
            {
                await recorder.record(
                    .normal, reason: ConditionReason.reconciliationSucceeded, message: message, about: json)
            }
            if statusWriteError == nil { logger.info("\(message)", metadata: ["petrel.revision": "\(revision)"]) }
            return .requeue(after: requeueAfter ?? interval.duration)
        case .failed(let error):
            await recorder.record(.warning, reason: error.reason, message: error.message, about: json)
            throw ReconcileInterruption.failed(
                reason: error.reason, message: error.message, retryAfter: object.effectiveRetryInterval.duration)
        case .waiting(let error, let delay):
            logger.info("\(error.message)", metadata: ["reason": "\(error.reason)"])
            throw ReconcileInterruption.waiting(requeueAfter: delay)
        case .stalled(let error):
            await recorder.record(.warning, reason: error.reason, message: error.message, about: json)
            throw ReconcileInterruption.stalled(reason: error.reason)
        }
    }

    /// Adds or removes Petrel's finalizer with a merge patch guarded by the resourceVersion.
    func patchFinalizers(of object: Kustomization, adding: Bool) async throws {
        var metadata = object.metadata
        if adding { metadata.addFinalizer(WellKnown.finalizer) } else { metadata.removeFinalizer(WellKnown.finalizer) }
        let finalizers: JSONValue = .array((metadata.finalizers ?? []).map { .string($0) })
        var patchMetadata: JSONValue = ["finalizers": finalizers]
        if let resourceVersion = object.metadata.resourceVersion {
            patchMetadata["resourceVersion"] = .string(resourceVersion)
        }
        _ = try await client.patch(
            Kustomization.groupVersionResource, namespace: object.metadata.namespace,
            name: object.metadata.name ?? "", .merge(["metadata": patchMetadata]))
    }
}
