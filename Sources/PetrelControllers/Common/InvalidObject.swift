import ControllerRuntime
import KubeClient
import KubeCore
import Logging
import PetrelAPI

/// What a reconciler does with a Petrel object it cannot decode: one the API server stored although it does not
/// have the form the Swift types (and today's CRDs) require, e.g. a duration past its bounds accepted by an older,
/// laxer CRD (Helm never upgrades CRDs).
///
/// ## Guarantees
/// - No trap and no retry loop: the object gets Ready=False and Stalled=True with reason `InvalidObject` and a
///   message naming the field, one Warning Event when that changes, and the reconcile stalls until the object
///   changes.
/// - A deleted object that cannot be decoded still loses Petrel's finalizer, so its deletion (and its
///   namespace's) completes; what it applied is left in place (nothing can be pruned without its spec), which the
///   Warning Event says.
enum InvalidObject {
    /// Writes the conditions and the Event for `error` on the object `json` of `resource`; returns the status
    /// patch's response, or `nil` when the conditions were already there.
    ///
    /// - Throws: API errors of the status write (retried by the queue with backoff).
    static func report(
        _ error: PetrelAPIError, json: JSONValue, resource: GroupVersionResource, client: KubeClient,
        recorder: any EventRecording, logger: Logger
    ) async throws -> JSONValue? {
        let message = "the object cannot be used: \(error.message)"
        let generation = json[path: ["metadata", "generation"]]?.integerValue
        let existing =
            (try? JSONValueCoding.decode([Condition].self, from: json[path: ["status", "conditions"]] ?? []))
            ?? []
        var conditions = existing
        conditions.set(
            type: ConditionType.ready, status: .false, reason: ConditionReason.invalidObject, message: message,
            observedGeneration: generation)
        conditions.set(
            type: ConditionType.stalled, status: .true, reason: ConditionReason.invalidObject, message: message,
            observedGeneration: generation)
        conditions.remove(ConditionType.reconciling)
        guard conditions != existing else { return nil }
        logger.error("\(message)", metadata: ["reason": "\(ConditionReason.invalidObject)"])
        await recorder.record(.warning, reason: ConditionReason.invalidObject, message: message, about: json)
        var status: JSONValue = ["conditions": try JSONValueCoding.encode(conditions)]
        if let generation { status["observedGeneration"] = .integer(generation) }
        return try await client.patchStatus(
            resource, namespace: json[path: ["metadata", "namespace"]]?.stringValue,
            name: json[path: ["metadata", "name"]]?.stringValue ?? "", .merge(["status": status]))
    }

    /// Removes Petrel's finalizer from a deleted object that cannot be decoded (guarded by its resourceVersion);
    /// returns the response, or `nil` when there was nothing to remove or the object is gone.
    static func release(
        _ json: JSONValue, resource: GroupVersionResource, client: KubeClient, recorder: any EventRecording,
        logger: Logger
    ) async throws -> JSONValue? {
        let finalizers = json[path: ["metadata", "finalizers"]]?.arrayValue ?? []
        guard finalizers.contains(.string(WellKnown.finalizer)) else { return nil }
        let message =
            "the deleted object cannot be decoded: Petrel's finalizer is removed and nothing it applied is pruned"
        logger.warning("\(message)")
        await recorder.record(.warning, reason: ConditionReason.invalidObject, message: message, about: json)
        var metadata: JSONValue = ["finalizers": .array(finalizers.filter { $0 != .string(WellKnown.finalizer) })]
        if let version = json[path: ["metadata", "resourceVersion"]] { metadata["resourceVersion"] = version }
        do {
            return try await client.patch(
                resource, namespace: json[path: ["metadata", "namespace"]]?.stringValue,
                name: json[path: ["metadata", "name"]]?.stringValue ?? "", .merge(["metadata": metadata]))
        } catch {
            if error.isNotFound { return nil }
            throw error
        }
    }
}
