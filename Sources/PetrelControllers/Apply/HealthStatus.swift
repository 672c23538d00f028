import KubeCore

/// The health of one object by kstatus rules (kubernetes-sigs/cli-utils `pkg/kstatus`), computed from its JSON
/// alone: pure, no IO.
package enum HealthStatus: Sendable, Equatable {
    /// Reconciled and ready (kstatus `Current`).
    case current
    /// Not there yet; the text says why (kstatus `InProgress`, `Terminating`, `NotFound`).
    case inProgress(String)
    /// Will not get there without a change (kstatus `Failed`).
    case failed(String)

    /// The status of a live object.
    package static func of(_ object: JSONValue) -> HealthStatus {
        if object.kube.isBeingDeleted { return .inProgress("Terminating") }
        let generation = object.kube.generation
        let observed = object[path: ["status", "observedGeneration"]]?.integerValue
        switch (object.kube.groupVersionKind?.group ?? "", object.kube.kind ?? "") {
        case ("apps", "Deployment"): return deployment(object, generation: generation, observed: observed)
        case ("apps", "StatefulSet"): return statefulSet(object, generation: generation, observed: observed)
        case ("apps", "DaemonSet"): return daemonSet(object, generation: generation, observed: observed)
        case ("apps", "ReplicaSet"): return replicaSet(object, generation: generation, observed: observed)
        case ("batch", "Job"): return job(object)
        case ("", "Pod"): return pod(object)
        case ("", "PersistentVolumeClaim"):
            let phase = object[path: ["status", "phase"]]?.stringValue ?? ""
            return phase == "Bound" ? .current : .inProgress("PVC is not Bound (phase \(phase.isEmpty ? "unknown" : phase))")
        default: return generic(object, generation: generation, observed: observed)
        }
    }

    private static func int(_ object: JSONValue, _ path: String...) -> Int64 {
        object[path: path]?.integerValue ?? 0
    }

    private static func condition(_ object: JSONValue, _ type: String) -> (status: String, message: String)? {
        for condition in object[path: ["status", "conditions"]]?.arrayValue ?? []
        where condition["type"]?.stringValue == type {
            let reason = condition["reason"]?.stringValue ?? ""
            let message = condition["message"]?.stringValue ?? ""
            return (condition["status"]?.stringValue ?? "Unknown", [reason, message].filter { !$0.isEmpty }.joined(separator: ": "))
        }
        return nil
    }

    private static func generationPending(_ generation: Int64?, _ observed: Int64?) -> HealthStatus? {
        guard let generation else { return nil }
        guard let observed else { return .inProgress("status.observedGeneration is not set") }
        return observed < generation ? .inProgress("observedGeneration \(observed) < generation \(generation)") : nil
    }

    private static func deployment(_ object: JSONValue, generation: Int64?, observed: Int64?) -> HealthStatus {
        if let pending = generationPending(generation, observed) { return pending }
        if let progressing = condition(object, "Progressing"), progressing.status == "False",
            progressing.message.contains("ProgressDeadlineExceeded")
        {
            return .failed("Progress deadline exceeded: \(progressing.message)")
        }
        let desired = object[path: ["spec", "replicas"]]?.integerValue ?? 1
        let updated = int(object, "status", "updatedReplicas")
        let available = int(object, "status", "availableReplicas")
        let total = int(object, "status", "replicas")
        if updated < desired { return .inProgress("Updated: \(updated)/\(desired)") }
        if total > updated { return .inProgress("Pending termination: \(total - updated)") }
        if available < desired { return .inProgress("Available: \(available)/\(desired)") }
        return .current
    }

    private static func statefulSet(_ object: JSONValue, generation: Int64?, observed: Int64?) -> HealthStatus {
        if let pending = generationPending(generation, observed) { return pending }
        let desired = object[path: ["spec", "replicas"]]?.integerValue ?? 1
        let ready = int(object, "status", "readyReplicas")
        let total = int(object, "status", "replicas")
        if total < desired { return .inProgress("Replicas: \(total)/\(desired)") }
        if ready < desired { return .inProgress("Ready: \(ready)/\(desired)") }
        if object[path: ["spec", "updateStrategy", "type"]]?.stringValue != "OnDelete",
            let update = object[path: ["status", "updateRevision"]]?.stringValue,
            let current = object[path: ["status", "currentRevision"]]?.stringValue, update != current
        {
            return .inProgress("Waiting for the rolling update to finish (\(int(object, "status", "updatedReplicas"))/\(desired) updated)")
        }
        return .current
    }

    private static func daemonSet(_ object: JSONValue, generation: Int64?, observed: Int64?) -> HealthStatus {
        if let pending = generationPending(generation, observed) { return pending }
        guard let desired = object[path: ["status", "desiredNumberScheduled"]]?.integerValue else {
            return .inProgress("status.desiredNumberScheduled is not set")
        }
        let updated = int(object, "status", "updatedNumberScheduled")
        let available = int(object, "status", "numberAvailable")
        if updated < desired { return .inProgress("Updated: \(updated)/\(desired)") }
        if available < desired { return .inProgress("Available: \(available)/\(desired)") }
        return .current
    }

    private static func replicaSet(_ object: JSONValue, generation: Int64?, observed: Int64?) -> HealthStatus {
        if let pending = generationPending(generation, observed) { return pending }
        let desired = object[path: ["spec", "replicas"]]?.integerValue ?? 1
        let available = int(object, "status", "availableReplicas")
        return available < desired ? .inProgress("Available: \(available)/\(desired)") : .current
    }

    private static func job(_ object: JSONValue) -> HealthStatus {
        if let failed = condition(object, "Failed"), failed.status == "True" { return .failed("Job failed: \(failed.message)") }
        if let complete = condition(object, "Complete"), complete.status == "True" { return .current }
        return .inProgress("Job not complete (\(int(object, "status", "succeeded")) succeeded, \(int(object, "status", "active")) active)")
    }

    private static func pod(_ object: JSONValue) -> HealthStatus {
        switch object[path: ["status", "phase"]]?.stringValue ?? "" {
        case "Succeeded": return .current
        case "Failed": return .failed("Pod failed")
        case "Running":
            if let ready = condition(object, "Ready"), ready.status == "True" { return .current }
            return .inProgress("Pod is running but not ready")
        case let phase: return .inProgress("Pod phase \(phase.isEmpty ? "unknown" : phase)")
        }
    }

    /// Custom resources and kinds without their own rule: observedGeneration, then `Stalled`, `Reconciling`, `Ready`.
    private static func generic(_ object: JSONValue, generation: Int64?, observed: Int64?) -> HealthStatus {
        if let generation, let observed, observed < generation {
            return .inProgress("observedGeneration \(observed) < generation \(generation)")
        }
        if let stalled = condition(object, "Stalled"), stalled.status == "True" { return .failed("Stalled: \(stalled.message)") }
        if let reconciling = condition(object, "Reconciling"), reconciling.status == "True" {
            return .inProgress("Reconciling: \(reconciling.message)")
        }
        if let ready = condition(object, "Ready") {
            switch ready.status {
            case "True": return .current
            case "False": return .failed("Ready=False: \(ready.message)")
            default: return .inProgress("Ready=Unknown: \(ready.message)")
            }
        }
        return .current
    }
}
