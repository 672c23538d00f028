import ControllerRuntime
import Foundation
import GitSource
import KubeClient
import KubeCore
import Logging
import PetrelAPI

extension GitRepositoryReconciler {
    /// The status after a reconcile with `outcome`, computed from the object's current status.
    ///
    /// Conditions keep their `lastTransitionTime` while their status holds, so an unchanged outcome gives an
    /// equal status (and no write).
    static func status(
        after outcome: Result<FetchOutcome, GitRepositoryFailure>, for object: GitRepository,
        storedArtifactExists: Bool, now: Time = .now()
    ) -> GitRepositoryStatus {
        var status = object.status
        let generation = object.metadata.generation
        if let requested = object.reconcileRequestedAt { status.lastHandledReconcileAt = requested }
        switch outcome {
        case .success(let fetched):
            let message = "stored artifact for revision '\(fetched.artifact.revision)'"
            if fetched.isNew || status.artifact?.url != fetched.artifact.url {
                status.artifact = fetched.artifact
            }
            if fetched.isNew {
                status.observedIgnore = object.spec.ignore
                status.observedRecurseSubmodules = object.spec.recurseSubmodules == true ? true : nil
            }
            for type in [
                ConditionType.reconciling, ConditionType.stalled, ConditionType.fetchFailed,
                ConditionType.storageOperationFailed, ConditionType.artifactOutdated,
            ] {
                status.conditions.remove(type)
            }
            status.conditions.set(
                type: ConditionType.artifactInStorage, status: .true, reason: ConditionReason.succeeded,
                message: message, observedGeneration: generation, now: now)
            status.conditions.set(
                type: ConditionType.ready, status: .true, reason: ConditionReason.succeeded, message: message,
                observedGeneration: generation, now: now)
            status.observedGeneration = generation
        case .failure(let failure):
            let other =
                failure.condition == ConditionType.fetchFailed
                ? ConditionType.storageOperationFailed : ConditionType.fetchFailed
            status.conditions.remove(other)
            status.conditions.set(
                type: failure.condition, status: .true, reason: failure.reason, message: failure.message,
                observedGeneration: generation, now: now)
            status.conditions.set(
                type: ConditionType.ready, status: .false, reason: failure.reason, message: failure.message,
                observedGeneration: generation, now: now)
            if !storedArtifactExists { status.conditions.remove(ConditionType.artifactInStorage) }
            if failure.stalled {
                status.conditions.remove(ConditionType.reconciling)
                status.conditions.set(
                    type: ConditionType.stalled, status: .true, reason: failure.reason, message: failure.message,
                    observedGeneration: generation, now: now)
                // Flux records the generation when the error is terminal: the object was fully handled.
                status.observedGeneration = generation
            } else {
                status.conditions.remove(ConditionType.stalled)
                status.conditions.set(
                    type: ConditionType.reconciling, status: .true, reason: ConditionReason.progressingWithRetry,
                    message: "retrying after failure: \(failure.reason)", observedGeneration: generation, now: now)
            }
        }
        status.conditions = sorted(status.conditions)
        return status
    }

    /// Ready first, then the abnormal conditions, then the rest (Flux's order), so equal sets compare equal.
    static func sorted(_ conditions: [Condition]) -> [Condition] {
        let order = [
            ConditionType.ready, ConditionType.reconciling, ConditionType.stalled, ConditionType.fetchFailed,
            ConditionType.storageOperationFailed, ConditionType.artifactOutdated, ConditionType.artifactInStorage,
        ]
        return conditions.sorted { lhs, rhs in
            let left = order.firstIndex(of: lhs.type) ?? order.count
            let right = order.firstIndex(of: rhs.type) ?? order.count
            return left != right ? left < right : lhs.type < rhs.type
        }
    }

    /// Writes `status` through the status subresource (a JSON merge patch; keys that disappeared are nulled).
    func writeStatus(_ status: GitRepositoryStatus, of object: GitRepository, key: ObjectKey) async throws {
        var body = try JSONValueCoding.encode(status)
        let previous = (try? JSONValueCoding.encode(object.status))?.objectValue ?? JSONObject()
        for (name, _) in previous where body[name] == nil { body[name] = .null }
        let response = try await client.patchStatus(
            GitRepository.groupVersionResource, namespace: key.namespace, name: key.name,
            .merge(["status": body]))
        remember(response, key: key)
    }

    /// Adds ``PetrelAPI/WellKnown/finalizer``.
    func addFinalizer(_ object: GitRepository, key: ObjectKey) async throws {
        var metadata = object.metadata
        metadata.addFinalizer(WellKnown.finalizer)
        let finalizers = JSONValue.array((metadata.finalizers ?? []).map { .string($0) })
        let response = try await client.patch(
            GitRepository.groupVersionResource, namespace: key.namespace, name: key.name,
            .merge(["metadata": ["finalizers": finalizers]]))
        remember(response, key: key)
    }

    /// Deletes every artifact of the object, then removes the finalizer so the deletion can complete.
    func finalize(_ object: GitRepository, key: ObjectKey, logger: Logger) async throws {
        guard object.metadata.hasFinalizer(WellKnown.finalizer) else { return }
        do {
            try artifactStore().deleteAll(kind: Self.storageKind, namespace: key.namespace, name: key.name)
        } catch {
            logger.error("failed to delete the artifacts of a deleted GitRepository: \(error)")
            throw error
        }
        var metadata = object.metadata
        metadata.removeFinalizer(WellKnown.finalizer)
        let finalizers: JSONValue = metadata.finalizers.map { .array($0.map { .string($0) }) } ?? .null
        do {
            let response = try await client.patch(
                GitRepository.groupVersionResource, namespace: key.namespace, name: key.name,
                .merge(["metadata": ["finalizers": finalizers]]))
            remember(response, key: key)
        } catch {
            // Already gone: nothing left to release.
            if error.isNotFound { return }
            throw error
        }
        logger.info("removed the artifacts and the finalizer of a deleted GitRepository")
    }

    /// `NewArtifact` for a new revision or digest; a Warning with the failure's reason when the failure is new.
    func recordEvents(
        _ outcome: Result<FetchOutcome, GitRepositoryFailure>, old: GitRepositoryStatus, statusChanged: Bool,
        json: JSONValue
    ) async {
        switch outcome {
        case .success(let fetched):
            guard fetched.isNew, old.artifact?.digest != fetched.artifact.digest
                || old.artifact?.revision != fetched.artifact.revision
            else { return }
            var message = "stored artifact for revision '\(fetched.artifact.revision)'"
            if let subject = fetched.subject, !subject.isEmpty { message += ": \(subject)" }
            await recorder.record(.normal, reason: "NewArtifact", message: message, about: json)
        case .failure(let failure):
            guard statusChanged else { return }
            await recorder.record(.warning, reason: failure.reason, message: failure.message, about: json)
        }
    }
}
